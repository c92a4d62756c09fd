from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from audit import display
from audit.forms import AuditFilterForm
from audit.models import AuditEntry
from web.http import AuthenticatedRequest

PAGE_SIZE = 100


@require_safe
@login_required
@permission_required("audit.view_auditentry", raise_exception=True)
def entry_list(request: AuthenticatedRequest) -> HttpResponse:
    """The audit trail for managers, newest first, filtered."""
    form = AuditFilterForm(request.GET or None)
    entries = form.filter(AuditEntry.objects.all())
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": display.present(page),
        "query": query.urlencode(),
        "nav": "audit",
    }
    return render(request, "audit/entry_list.html", context)

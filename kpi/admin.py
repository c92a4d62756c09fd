from django.contrib import admin

from kpi.models import Target

admin.site.register(Target)

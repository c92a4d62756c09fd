"""/api/v1/: one router, a module per resource."""

from rest_framework.routers import DefaultRouter

from api.activities import ActivityViewSet
from api.catalog import CampaignViewSet, CompanyViewSet
from api.deals import DealStageViewSet, DealViewSet, LostReasonViewSet
from api.handoffs import HandoffViewSet
from api.kpis import KpiViewSet
from api.leads import LeadAnswerViewSet, LeadViewSet

app_name = "api"

router = DefaultRouter()
router.register("leads", LeadViewSet, basename="lead")
router.register(r"leads/(?P<lead_pk>[0-9]+)/answers", LeadAnswerViewSet, basename="lead-answer")
router.register("companies", CompanyViewSet, basename="company")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("activities", ActivityViewSet, basename="activity")
router.register("deals", DealViewSet, basename="deal")
router.register("deal-stages", DealStageViewSet, basename="deal-stage")
router.register("lost-reasons", LostReasonViewSet, basename="lost-reason")
router.register("handoffs", HandoffViewSet, basename="handoff")
router.register("kpis", KpiViewSet, basename="kpi")

urlpatterns = router.urls

from django.contrib import admin

from tasks.models import Reminder, Task


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin[Task]):
    list_display = ["title", "assignee", "due_at", "priority", "done_at"]
    list_filter = ["priority"]
    raw_id_fields = ["lead", "company", "deal", "handoff", "assignee", "created_by", "done_by"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin[Reminder]):
    list_display = ["task", "recipient", "due_at", "created_at", "emailed_at"]
    raw_id_fields = ["task", "recipient"]

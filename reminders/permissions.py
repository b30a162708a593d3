"""The permissions reminders need (admins hold them: accounts migration 0008), read by the
dashboard's views and the API alike."""

VIEW = ("reminders.view_reminder", "reminders.view_reminderrun")
CREATE = ("reminders.add_reminder",)
CANCEL = ("reminders.change_reminder",)

"""The roles of EduPulse users, as Django groups, and the model permissions each carries."""

DATA_ENTRY = "Data entry staff"

_EDIT = ("view", "add", "change", "delete")
_VIEW = ("view",)

# "app_label.model": actions. Staff enter and correct district records; computed rows
# (features, predictions, model versions) are theirs to read, not to write.
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    DATA_ENTRY: {
        "students.student": _EDIT,
        "records.attendancerecord": _EDIT,
        "records.grade": _EDIT,
        "records.disciplineincident": _EDIT,
        "records.studentoutcome": _EDIT,
        "records.importrun": _VIEW,
        "analytics.studentfeaturesrow": _VIEW,
        "mlmodels.prediction": _VIEW,
        "mlmodels.modelmetadata": _VIEW,
        "mlmodels.trainingfeedback": _VIEW,
    },
}

"""The roles of EduPulse users, as Django groups, and the model permissions each carries.

Who may see which students is not a model permission: `students.access` decides it from the
role and the user's assignments (caseload).
"""

DISTRICT_ADMIN = "District administrator"
COUNSELOR = "Counselor"
EDUCATOR = "Educator"
DATA_ENTRY = "Data entry staff"

# Roles whose members see the students assigned to them (students.Assignment).
ASSIGNED_ROLES = (COUNSELOR, EDUCATOR)
# Roles whose members may give feedback on a prediction (of a student within reach).
FEEDBACK_ROLES = (COUNSELOR, EDUCATOR)

_EDIT = ("view", "add", "change", "delete")
_VIEW = ("view",)

# "app_label.model": actions. Staff enter and correct district records; computed rows
# (features, predictions, model versions) are theirs to read, not to write.
_DATA_ENTRY = {
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
}
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    # Administrators also keep the district's intervention catalogue, and unlock sign-ins locked
    # after repeated failures (django-axes: deleting the locked user name's or address's access
    # attempts unlocks it).
    DISTRICT_ADMIN: {
        **_DATA_ENTRY,
        "students.assignment": _EDIT,
        "students.interventiontype": _EDIT,
        "axes.accessattempt": ("view", "delete"),
        "axes.accessfailurelog": _VIEW,
    },
    # Counselors and educators work in the dashboards, not in the admin: no model permissions.
    COUNSELOR: {},
    EDUCATOR: {},
    DATA_ENTRY: _DATA_ENTRY,
}

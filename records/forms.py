from django import forms

from records.csv_format import FORMATS

# The model each file loads, for the permission an upload needs.
FILE_MODELS = {
    "students": "students.student",
    "attendance": "records.attendancerecord",
    "grades": "records.grade",
    "discipline": "records.disciplineincident",
    "outcomes": "records.studentoutcome",
}


class DistrictUploadForm(forms.Form):
    """One optional file field per file of the interchange format; at least one is needed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for fmt in FORMATS:
            self.fields[fmt.name] = forms.FileField(
                label=fmt.filename,
                required=False,
                help_text="Columns: " + ", ".join(fmt.column_names),
            )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(fmt.name) for fmt in FORMATS):
            raise forms.ValidationError("Choose at least one file to import.")
        return cleaned

    def uploaded(self):
        """(format name, uploaded file) for each file given."""
        return [
            (f.name, self.cleaned_data[f.name]) for f in FORMATS if self.cleaned_data.get(f.name)
        ]

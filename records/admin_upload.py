"""The admin page where staff upload district CSV files: the same import as import_csv."""

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from records.csv_format import FORMATS
from records.forms import FILE_MODELS, DistrictUploadForm
from records.importing import ImportRejected, district_import
from records.models import ImportRun

BY_NAME = {f.name: f for f in FORMATS}
# Words for the cells' SQL types, for the format's description on the page.
TYPE_WORDS = {
    "text": "text",
    "integer": "whole number",
    "real": "decimal number",
    "date": "date, YYYY-MM-DD",
    "boolean": "true or false",
}


def format_description() -> list[dict]:
    """Each file of the interchange format: its name, template link, key and columns (name,
    required, kind of value), for the upload page."""
    return [
        {
            "name": f.name,
            "filename": f.filename,
            "key": ", ".join(f.key),
            "columns": [
                {
                    "name": c.name,
                    "required": c.required,
                    "kind": TYPE_WORDS.get(getattr(c.read, "sql_type", ""), "text"),
                }
                for c in f.columns
            ],
        }
        for f in FORMATS
    ]


def template_view(model_admin, request, name: str):
    """The empty CSV template of one file: its header row, UTF-8, ready to fill in."""
    if not any(request.user.has_perms(_permissions_for(n)) for n in FILE_MODELS):
        raise PermissionDenied
    fmt = BY_NAME.get(name)
    if fmt is None:
        raise Http404("No such file in the interchange format.")
    response = HttpResponse(",".join(fmt.column_names) + "\r\n", content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{fmt.filename}"'
    return response


def _permissions_for(name: str) -> list[str]:
    app_label, model = FILE_MODELS[name].split(".")
    return [f"{app_label}.add_{model}", f"{app_label}.change_{model}"]


def upload_view(model_admin, request):
    """GET: the upload form. POST: import the files in one transaction; on any problem, show
    the row-level report (file, line, column, value, reason) and write nothing."""
    if not any(request.user.has_perms(_permissions_for(n)) for n in FILE_MODELS):
        raise PermissionDenied
    posted = request.method == "POST"
    limit = settings.EDUPULSE_UPLOAD_MAX_BYTES
    too_big = posted and int(request.META.get("CONTENT_LENGTH") or 0) > limit
    if too_big:
        # Refused before the body is read: nothing is spooled to disk.
        form = DistrictUploadForm()
    elif posted:
        form = DistrictUploadForm(request.POST, request.FILES)
    else:
        form = DistrictUploadForm()
    rejected = None
    if posted and not too_big and form.is_valid():
        for name, _ in form.uploaded():
            if not request.user.has_perms(_permissions_for(name)):
                raise PermissionDenied
        folder = Path(tempfile.mkdtemp(prefix="edupulse-upload-"))
        try:
            for name, upload in form.uploaded():
                with (folder / BY_NAME[name].filename).open("wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
            result = district_import(
                folder=folder, user=request.user, source=ImportRun.Source.ADMIN
            )
        except ImportRejected as exc:
            rejected = exc
        else:
            summary = "; ".join(
                f"{name}: {c.inserted} added, {c.updated} updated, {c.unchanged} unchanged"
                for name, c in result.files.items()
            )
            messages.success(request, f"Imported. {summary}.")
            return redirect("admin:records_importrun_changelist")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import district CSV files",
        "form": form,
        "rejected": rejected,
        "too_big": too_big and f"{limit / 1e6:,.0f} MB",
        "preselected": request.GET.get("file", ""),
        "formats": format_description(),
    }
    return TemplateResponse(request, "admin/records/importrun/upload.html", context)

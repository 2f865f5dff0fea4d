"""Forms of the Wagtail editor that Wagtail lets a project replace through its settings."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from wagtail.documents.forms import BaseDocumentForm

#: How each allowed kind of document starts: a file named .pdf must be a PDF, not any bytes with that name.
#: Text files (csv, txt) hold no NUL byte in their first 8 KB (a binary file does within its header), unless they
#: are UTF-16, which starts with its byte order mark (Excel's "Unicode text").
SIGNATURES = {"pdf": (b"%PDF-",), "xlsx": (b"PK\x03\x04",)}
TEXT_EXTENSIONS = {"csv", "txt"}
UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")


class DocumentForm(BaseDocumentForm):
    """Wagtail's document form (WAGTAILDOCS_DOCUMENT_FORM_BASE) saying which formats and size it takes, and checking
    that the file's content is of the format its name says."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "file" in self.fields:
            extensions = settings.WAGTAILDOCS_EXTENSIONS
            field = self.fields["file"]
            field.help_text = _("Formats: %(formats)s. At most %(size)s.") % {
                "formats": ", ".join(extension.upper() for extension in extensions),
                "size": filesizeformat(settings.WAGTAILDOCS_MAX_UPLOAD_SIZE),
            }
            field.widget.attrs["accept"] = ",".join(f".{extension}" for extension in extensions)

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None or "file" not in self.changed_data:
            return upload
        extension = upload.name.rpartition(".")[2].lower()
        upload.seek(0)
        head = upload.read(8192)
        upload.seek(0)
        if extension in SIGNATURES:
            is_what_it_says = head.startswith(SIGNATURES[extension])
        elif extension in TEXT_EXTENSIONS:
            is_what_it_says = b"\x00" not in head or head.startswith(UTF16_MARKS)
        else:
            return upload  # the model's extension check answers for other names
        if not is_what_it_says:
            raise ValidationError(
                _("This file is not a %(format)s file, although its name ends in .%(extension)s."),
                code="wrong_content",
                params={"format": extension.upper(), "extension": extension},
            )
        return upload

    def _update_errors(self, errors):
        # Wagtail's Document.clean checks the extension of the instance's file; after an upload was refused above
        # (too big, wrong content) there is none, and the form would add 'File extension “” is not allowed'.
        if self._errors.get("file") and hasattr(errors, "error_dict"):
            errors.error_dict.pop("file", None)
            if not errors.error_dict:
                return
        super()._update_errors(errors)

"""Check, clean and store a page's logo.

The file's type comes from its content, never from its name or the browser's claim. PNG and
JPEG files are decoded by Pillow, within size limits checked before decoding, and encoded
again, which drops metadata and anything appended to the image. SVG files go through
`heliograph.console.svg`.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageOps, UnidentifiedImageError

from heliograph.console.svg import UnsafeSvg, sanitise
from heliograph.domain import audit
from heliograph.domain.audit import Actor
from heliograph.domain.models import Page

MAX_BYTES = 512 * 1024
MAX_SIDE = 2048  # pixels, for PNG and JPEG
MIN_SIDE = 16

CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"


class LogoError(ValueError):
    """An upload that is not an acceptable logo; the message states why and what to do."""


@dataclass(frozen=True)
class CleanLogo:
    content: bytes
    extension: str  # a key of CONTENT_TYPES
    width: int | None  # pixels; None for SVG
    height: int | None


def clean(upload: UploadedFile) -> CleanLogo:
    """Return the upload as a logo that is safe to store and serve, or raise `LogoError`."""
    size = upload.size or 0
    if size > MAX_BYTES:
        raise LogoError(f"The file is {_kilobytes(size)} KB: the maximum is "
                        f"{_kilobytes(MAX_BYTES)} KB. Upload a smaller image.")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise LogoError(f"The file is larger than {_kilobytes(MAX_BYTES)} KB: upload a smaller "
                        "image.")
    if not data:
        raise LogoError("The file is empty: choose an image file.")
    if data.startswith(_PNG_MAGIC):
        return _raster(data, "PNG")
    if data.startswith(_JPEG_MAGIC):
        return _raster(data, "JPEG")
    if _looks_like_svg(data):
        try:
            return CleanLogo(content=sanitise(data), extension="svg", width=None, height=None)
        except UnsafeSvg as error:
            raise LogoError(str(error)) from None
    raise LogoError("The file's content is not a PNG, JPEG or SVG image, whatever its name: "
                    "upload an image in one of those formats.")


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"<svg" in head


def _raster(data: bytes, expected: str) -> CleanLogo:
    try:
        with warnings.catch_warnings():
            # Pillow warns above Image.MAX_IMAGE_PIXELS (about 89 million) and raises only at
            # twice that, so the warning is raised as an error too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != expected:
                    raise LogoError(f"The file starts like a {expected} image but is not one: "
                                    "export it again.")
                _check_dimensions(*image.size)
                image.load()
                upright = ImageOps.exif_transpose(image) or image
                return _encode(upright, expected)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise LogoError(f"The image has too many pixels: the maximum is {MAX_SIDE} by {MAX_SIDE}."
                        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        if isinstance(error, LogoError):
            raise
        raise LogoError(f"The {expected} image is damaged or truncated and cannot be read: "
                        "export it again.") from None


def _check_dimensions(width: int, height: int) -> None:
    if width > MAX_SIDE or height > MAX_SIDE:
        raise LogoError(f"The image is {width} by {height} pixels: the maximum is "
                        f"{MAX_SIDE} by {MAX_SIDE}. Scale it down; the header shows it 32 pixels "
                        "high.")
    if width < MIN_SIDE or height < MIN_SIDE:
        raise LogoError(f"The image is {width} by {height} pixels: the minimum is "
                        f"{MIN_SIDE} by {MIN_SIDE}.")


def _encode(image: Image.Image, kind: str) -> CleanLogo:
    out = io.BytesIO()
    if kind == "PNG":
        if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
        extension = "png"
    else:
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=90)
        extension = "jpg"
    return CleanLogo(content=out.getvalue(), extension=extension, width=image.width,
                     height=image.height)


def _kilobytes(size: int) -> int:
    return -(-size // 1024)


def store(page: Page, logo: CleanLogo, *, actor: Actor) -> None:
    """Save `logo` as the page's logo, record the change, and delete the previous file."""
    name = default_storage.save(f"logos/{page.pk}-{secrets.token_hex(8)}.{logo.extension}",
                                ContentFile(logo.content))
    try:
        with transaction.atomic():
            locked = Page.objects.select_for_update().get(pk=page.pk)
            previous = locked.logo.name or None
            Page.objects.filter(pk=page.pk).update(logo=name)
            audit.record(locked, actor, "page.logo", locked, before={"logo": previous}, after={
                "logo": name, "format": logo.extension, "width": logo.width,
                "height": logo.height, "bytes": len(logo.content),
            })
    except BaseException:
        default_storage.delete(name)
        raise
    page.logo.name = name
    if previous:
        default_storage.delete(previous)


def remove(page: Page, *, actor: Actor) -> bool:
    """Remove the page's logo; return False when it had none."""
    with transaction.atomic():
        locked = Page.objects.select_for_update().get(pk=page.pk)
        previous = locked.logo.name or None
        if previous is None:
            return False
        Page.objects.filter(pk=page.pk).update(logo="")
        audit.record(locked, actor, "page.logo", locked, before={"logo": previous},
                     after={"logo": None})
    page.logo.name = ""
    default_storage.delete(previous)
    return True

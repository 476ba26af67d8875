"""The ASGI application: the response cache of `heliograph.edge` in front of Django.

`heliograph-admin serve` runs it under Granian. Stored public responses are served by the
layer; every other request goes through Django's whole middleware stack, run by its WSGI
handler on HELIOGRAPH_WEB_THREADS threads (see `heliograph.edge.wsgi_bridge`).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heliograph.settings")
django_application = get_wsgi_application()

# These imports need the settings loaded.
from django.conf import settings  # noqa: E402

from heliograph.edge.app import build_application  # noqa: E402
from heliograph.edge.wsgi_bridge import DEFAULT_MAX_BODY_BYTES, bridge  # noqa: E402
from heliograph.lib.config import env_int  # noqa: E402

# Bodies past this get 413 before Django reads them: the API's own limit with room for a
# form's other fields, and never less than the limit the nginx example in docs/deploy.md sets.
max_body_bytes = max(DEFAULT_MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024 * 1024)

application = build_application(
    bridge(django_application, threads=env_int("HELIOGRAPH_WEB_THREADS", 8, minimum=1),
           max_body_bytes=max_body_bytes)
)

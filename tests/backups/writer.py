"""Keep writing to the demo page until a stop file appears: run as a process by the backup test.

Each line `committed N` on standard output is printed after write N has committed. A write
posts an incident event (opening a new incident when the last one closed), and every third one
also adds a subscriber and changes the page's default status message to "Status N".

Usage: python writer.py STOP_FILE
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import django


def main(stop_file: Path) -> None:
    django.setup()

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from heliograph.console import logos
    from heliograph.domain import incidents, pages
    from heliograph.domain.audit import Actor
    from heliograph.domain.models import Incident, Page
    from heliograph.domain.vocab import State, Status
    from heliograph.notifications import subscribers

    actor = Actor.system("backup test writer")
    page = Page.objects.get(slug="demo")
    if not page.logo:
        image = io.BytesIO()
        Image.new("RGB", (40, 20), "navy").save(image, "PNG")
        upload = SimpleUploadedFile("logo.png", image.getvalue())
        logos.store(page, logos.clean(upload), actor=actor)
    print("ready", flush=True)

    number = 0
    while not stop_file.exists():
        number += 1
        incident = Incident.objects.filter(page=page, closed_at__isnull=True).first()
        if incident is None:
            incidents.open_incident(page, title=f"Writer incident {number}", text="Opened.",
                                    state=State.DEGRADED_PERFORMANCE,
                                    status=Status.INVESTIGATING, actor=actor)
        elif number % 10 == 0:
            incidents.close_incident(incident, text=f"Closed by write {number}.", actor=actor)
        else:
            incidents.post_event(incident, text=f"Write {number}.", state=State.PARTIAL_OUTAGE,
                                 status=Status.IDENTIFIED, actor=actor)
        if number % 3 == 0:
            subscribers.add_subscriber(page, email=f"writer-{number}@subscriber.example",
                                       services=None, actor=actor)
            pages.update_page(page, {"default_status_message": f"Status {number}"},
                              actor=actor)
        print(f"committed {number}", flush=True)
        time.sleep(0.01)


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""Start and stop what bench/front_page.py and bench/freshness.py measure.

Each process is started in a session of its own and stopped by its process id.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
ADMIN = Path(sys.executable).with_name("heliograph-admin")
NGINX = "/usr/sbin/nginx"
WRK = "wrk"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def admin(environment: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(ADMIN), *args], env=environment, capture_output=True,
                            text=True, timeout=600, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise SystemExit(f"heliograph-admin {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    result = {key: value for key, value in os.environ.items()
              if key not in {"DATABASE_URL", "REDIS_URL", "HELIOGRAPH_DEFAULT_PAGE"}}
    result.update({"HELIOGRAPH_DATA_DIR": str(data_dir),
                   "DJANGO_SETTINGS_MODULE": "heliograph.settings",
                   "HELIOGRAPH_ACCESS_LOG": "false", "LOG_LEVEL": "WARNING", **extra})
    return result


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()

    def rss_mib(self) -> list[float]:
        """Return the resident memory of each worker process (the children), in MiB."""
        children = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children")
        pids = [int(pid) for pid in children.read_text().split()] or [self.popen.pid]
        sizes = []
        for pid in pids:
            status = Path(f"/proc/{pid}/status").read_text()
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return sizes


def start(name: str, command: list[str], env: dict[str, str], port: int, log: Path,
          ready_path: str = "/healthz") -> Process:
    with log.open("wb") as output:
        popen = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=output,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    process = Process(name, popen, port)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise SystemExit(f"{name} exited with {popen.returncode}:\n{log.read_text()}")
        try:
            httpx.get(process.base + ready_path, timeout=5)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.stop()
    raise SystemExit(f"{name} did not respond within 90 s:\n{log.read_text()}")


def serve(env: dict[str, str], log_dir: Path, *, workers: int = 2, wsgi: bool = False
          ) -> Process:
    """Start Heliograph as `heliograph-admin serve` runs it, or as it ran before (`wsgi`)."""
    port = free_port()
    if wsgi:
        command = [sys.executable, "-m", "granian", "--interface", "wsgi", "--host",
                   "127.0.0.1", "--port", str(port), "--workers", str(workers),
                   "--blocking-threads", "8", "--no-ws", "heliograph.wsgi:application"]
        name = "granian-wsgi"
    else:
        command = [str(ADMIN), "serve", "--port", str(port), "--workers", str(workers)]
        name = "serve"
    return start(name, command, env, port, log_dir / f"{name}-{port}.log")


def nginx(root: Path, work: Path) -> Process:
    """Start an nginx of its own (config, pid file and logs under `work`) serving `root`."""
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    config = work / "nginx.conf"
    config.write_text(f"""
worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        index index.html;
        location / {{ try_files $uri $uri/index.html $uri/ =404; }}
    }}
}}
""")
    return start("nginx", [NGINX, "-c", str(config), "-p", str(work)], os.environ.copy(),
                 port, work / "stdout.log", ready_path="/")


@dataclass
class WrkResult:
    requests_per_second: float
    p99_ms: float
    errors: int
    output: str


def wrk(url: str, *, seconds: int, connections: int = 50, threads: int = 2,
        headers: tuple[str, ...] = ()) -> WrkResult:
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True,
                            timeout=seconds + 60).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"99%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    errors = 0
    for pattern in (r"Non-2xx or 3xx responses: (\d+)",
                    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
        match = re.search(pattern, output)
        if match:
            errors += sum(int(group) for group in match.groups())
    return WrkResult(rate, p99, errors, output)


def _milliseconds(text: str) -> float:
    number = float(re.match(r"[\d.]+", text).group(0))  # type: ignore[union-attr]
    unit = text[len(re.match(r"[\d.]+", text).group(0)):]  # type: ignore[union-attr]
    return number * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    load = os.getloadavg()[0]
    return f"{cpus} cores ({model}), load average {load:.1f} at start"

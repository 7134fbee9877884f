"""Stand-in for the official ``postgres`` image on this machine: Debian's PostgreSQL in a temp dir.

``python pg_standin.py --port PORT`` reads the image's variables (``POSTGRES_USER``,
``POSTGRES_PASSWORD``, ``POSTGRES_DB``), initialises a cluster with that superuser (password auth on
loopback, as the image sets up), starts it on 127.0.0.1:PORT, creates the database and runs until
SIGTERM, which stops the server (fast shutdown). Root cannot run PostgreSQL, so as root the server
runs as the ``postgres`` user that Debian's package creates.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if not bindirs:
        print("pg_standin: PostgreSQL not installed (apt-get install postgresql)", file=sys.stderr)
        return 1
    bindir = Path(bindirs[0])
    user = os.environ.get("POSTGRES_USER", "postgres")
    password = os.environ.get("POSTGRES_PASSWORD", "")
    database = os.environ.get("POSTGRES_DB", user)
    root = Path(tempfile.mkdtemp(prefix="pg-standin-"))
    demote = None
    if os.geteuid() == 0:
        import pwd

        account = pwd.getpwnam("postgres")
        shutil.chown(root, "postgres", "postgres")

        def demote() -> None:  # as postgres itself (no runuser in between: signals reach the server)
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)

    pwfile = root / "pw"
    pwfile.write_text(password + "\n", encoding="utf-8")
    if demote is not None:
        shutil.chown(pwfile, "postgres", "postgres")
    data = root / "data"
    subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", user, f"--pwfile={pwfile}",
                    "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8",
                    "--locale=C.UTF-8"], check=True, stdout=subprocess.DEVNULL, preexec_fn=demote)  # fmt: skip
    server = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(args.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-k",
            str(root),
        ],
        preexec_fn=demote,
    )  # noqa: PLW1509

    def stop(signum: int, frame: FrameType | None) -> None:
        server.send_signal(signal.SIGINT)  # fast shutdown

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    env = {**os.environ, "PGPASSWORD": password}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        ready = subprocess.run([str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(args.port)],
                               capture_output=True, check=False)  # fmt: skip
        if ready.returncode == 0:
            break
        time.sleep(0.2)
    subprocess.run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(args.port), "-U", user, database],
                   env=env, check=False)  # fmt: skip
    code = server.wait()
    shutil.rmtree(root, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())

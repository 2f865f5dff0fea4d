"""The real processes start from the repository root and do their work: a Celery worker on Redis
running a task against PostgreSQL, and gunicorn serving the WSGI application."""

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from areas.tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _env_for_test_database() -> dict:
    """The environment of a separate process that must see this test's (committed) database."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "AGORA_ENV": "test", "DJANGO_SETTINGS_MODULE": "agora.settings"}


def _wait_until(predicate, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL=redis://…")
def test_a_celery_worker_on_redis_runs_the_retention_job(settings):
    # given: a worker process on this machine's Redis, with its own queue name so nothing else interferes
    queue = f"agora-test-{os.getpid()}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    from agora.celery import app

    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False
    person = UserFactory(date_joined=timezone.now() - dt.timedelta(days=settings.AGORA_RETENTION_INACTIVE_DAYS + 30))
    connection.close()  # the worker must see committed rows only
    worker = subprocess.Popen(
        [BIN / "celery", "-A", "agora", "worker", "--pool", "solo", "--queues", queue, "--loglevel", "WARNING"],
        cwd=ROOT,
        env=_env_for_test_database(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # when: the beat job is sent to the broker
        from celery.result import EagerResult

        from privacy.tasks import anonymise_inactive_accounts_task

        sent = anonymise_inactive_accounts_task.apply_async(queue=queue)
        assert not isinstance(sent, EagerResult), "the task must go through the broker, not run in this process"

        # then: the worker anonymises the inactive account
        def erased():
            person.refresh_from_db()
            return person.erased_at is not None

        assert _wait_until(erased), "the worker did not run the task"
        assert person.email.endswith("@erased.invalid")
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0]
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    assert "Traceback" not in output, output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_gunicorn_serves_the_application_from_the_repository_root(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'gunicorn.sqlite3'}"
    server = subprocess.Popen(
        [BIN / "gunicorn", "agora.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def healthy():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        assert _wait_until(healthy, 30), "gunicorn did not answer /healthz"
    finally:
        server.terminate()
        server.communicate(timeout=20)


_SQLITE_WRITERS = """
import threading

import django

django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE counter (n integer)")
    cursor.execute("INSERT INTO counter VALUES (0)")
connection.close()
read, written, errors = threading.Event(), threading.Event(), []


def reads_then_writes():
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT n FROM counter")
            read.set()
            written.wait(1)  # the other writer wrote in between (or is waiting for this one)
            with connection.cursor() as cursor:
                cursor.execute("UPDATE counter SET n = n + 1")
    except Exception as error:
        errors.append(repr(error))
    finally:
        connection.close()


def writes():
    read.wait(5)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE counter SET n = n + 10")
    except Exception as error:
        errors.append(repr(error))
    finally:
        written.set()
        connection.close()


threads = [threading.Thread(target=reads_then_writes), threading.Thread(target=writes)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT n FROM counter")
    print(cursor.fetchone()[0], errors)
"""


def test_on_the_demo_database_a_transaction_that_read_first_waits_for_another_writer(tmp_path):
    # given: the embedded default (a SQLite file), two requests at once: one reads and then writes, the other writes
    # in between. In SQLite's default mode the first fails at once ("database is locked") — a shopper's form
    # answered with an error page while a cashier scanned.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "AGORA_ENV"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", DJANGO_SETTINGS_MODULE="agora.settings")
    # when
    done = subprocess.run(
        [sys.executable, "-c", _SQLITE_WRITERS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    # then: both wrote, one after the other
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "11 []"

"""The `platform/` source root must never shadow the standard library's `platform` module."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_platform_is_not_a_package():
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_standard_library_platform_and_uuid_import_from_the_repository_root():
    result = subprocess.run(
        [sys.executable, "-c", "import platform, uuid; print(platform.system())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_project_packages_import_alongside_the_standard_library_platform():
    code = "import platform, uuid, agora.celery, accounts, areas, privacy, loyalty; print(platform.system())"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_manage_py_runs_from_the_repository_root():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_celery_app_loads_with_its_beat_schedule():
    code = "from agora.celery import app; app.loader.import_default_modules(); print(sorted(app.conf.beat_schedule))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "anonymise-inactive-accounts" in result.stdout


def test_gunicorn_can_import_the_wsgi_application():
    code = "import gunicorn.util as u; app = u.import_app('agora.wsgi:application'); print(callable(app))"
    result = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "True" in result.stdout

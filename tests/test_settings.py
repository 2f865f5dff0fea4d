"""The settings profiles: the embedded default, and production passing Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION_ENV = {
    "AGORA_ENV": "production",
    "DJANGO_SECRET_KEY": "t8Vq-2mZ#rL0w!pK7sYx@4nB9cF_hJ3dG6eA1uQ5oI8zW0vR2yT",
    "DJANGO_ALLOWED_HOSTS": "amersfoort.example.org,mechelen.example.org",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "STRIPE_SECRET_KEY": "sk_live_agora_test",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_agora_test",
    "STRIPE_WEBHOOK_SECRET": "whsec_agora_test",
}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("AGORA_", "DJANGO_", "EMAIL_", "CELERY_", "STRIPE_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True
    )


def test_production_profile_passes_check_deploy():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_its_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_mail_settings():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_URL"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "EMAIL_URL" in result.stderr


def test_production_refuses_to_start_without_stripe_keys():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "STRIPE_SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "STRIPE_SECRET_KEY" in result.stderr


def test_embedded_default_needs_no_server(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND)"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AGORA_", "DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "EMAIL_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "agora.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_environment_selects_postgresql_and_redis_workers():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "CELERY_"))}
    env = {
        **clean,
        "AGORA_ENV": "development",  # the test profile runs tasks in-process whatever the broker
        "DJANGO_SETTINGS_MODULE": "agora.settings",
        "DATABASE_URL": "postgres://agora@db.example.org:5432/agora",
        "REDIS_URL": "redis://cache.example.org:6379/0",
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "False", "redis://cache.example.org:6379/0"]


def test_every_stylesheet_a_template_links_is_found_by_staticfiles():
    import re

    from django.contrib.staticfiles import finders

    linked = set()
    for template in ROOT.glob("**/templates/**/*.html"):
        if any(part.startswith(".") or part == "node_modules" for part in template.relative_to(ROOT).parts):
            continue  # installed packages (.venv, the benchmark peer's bench/.oscar-venv), not our templates
        linked |= set(re.findall(r"{% static '([^']+)' %}", template.read_text()))
    assert "agora/agora.css" in linked
    missing = sorted(path for path in linked if not finders.find(path))
    assert not missing

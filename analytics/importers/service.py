"""Running imports: all or nothing, with progress on the `ImportRun`.

`start_import` (the upload page) stores the file on a new `ImportRun` and queues `run_import_task` after
commit; `execute_import` (the task) checks every line first, writing only `rows_done` as it goes (so the
page can poll the progress), and then — only when no line has a problem — writes every observation in
one transaction: an upsert on (sensor, observed property, direction, start), so importing a file again
updates the same rows and never counts twice. Then the quality flags of the days touched are recomputed
in the same transaction. A refused file leaves its problems (line, column, message) on the run and
nothing else. `push_observations` (the API) runs the same checks and the same write at once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can

from ..models import (
    AreaDataSettings,
    ImportRun,
    ImportSource,
    ImportStatus,
    Observation,
    Sensor,
    WeatherDay,
    WeatherStation,
)
from ..quality import assess_sensor
from . import hystreet, knmi, own, telraam
from .base import MAX_ERRORS, MAX_UPLOAD_BYTES, ImportNotAllowed, ImportRejected, Parsed, RowError

IMPORT_ACTION = "analytics.import_sensor_data"
WRITE_BATCH = 5_000


def require_importer(by, area) -> None:
    if not can(by, IMPORT_ACTION, area):
        raise ImportNotAllowed()


def start_import(*, area, by, source: str, file_name: str, data: bytes, sensor: Sensor | None = None) -> ImportRun:
    """Store an upload and queue its import (after commit). Raises ImportNotAllowed, ImportRejected (file-level
    problems found at once: too large, no sensor chosen for a Hystreet export)."""
    require_importer(by, area)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImportRejected(
            [RowError(0, "file", _("The file is larger than %(size)d MB.") % {"size": MAX_UPLOAD_BYTES // 1_000_000})]
        )
    if source not in ImportSource.values or source == ImportSource.API:
        raise ImportRejected([RowError(0, "source", _("Choose the kind of file."))])
    if source == ImportSource.HYSTREET and (sensor is None or sensor.area_id != area.pk):
        raise ImportRejected([RowError(0, "sensor", _("Choose the Hystreet sensor this export belongs to."))])
    run = ImportRun.objects.create(
        area=area, created_by=by, source=source, file_name=file_name[:200], sensor=sensor, payload=data
    )
    from .tasks import run_import_task

    transaction.on_commit(lambda: run_import_task.delay(run.pk))
    return run


def execute_import(run_id: int) -> ImportRun:
    """The task's work (idempotent: a finished run is left as it is)."""
    run = ImportRun.objects.select_related("area", "sensor__area").get(pk=run_id)
    if run.is_finished or run.payload is None:
        return run
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING)
    data = bytes(run.payload)

    def progress(done: int, total: int) -> None:
        ImportRun.objects.filter(pk=run.pk).update(rows_done=done, rows_total=total)

    try:
        parsed = _parse(run, data, progress)
    except Exception as error:  # a parser bug must not leave the run "checking" for ever
        _fail(
            run, [RowError(0, "file", _("The file could not be read (%(error)s).") % {"error": type(error).__name__})]
        )
        raise
    if parsed.errors:
        _fail(run, parsed.errors, warnings=parsed.warnings, lines=parsed.lines)
        run.refresh_from_db()
        return run
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.WRITING, rows_done=parsed.lines, rows_total=parsed.lines
    )
    with transaction.atomic():
        if run.source == ImportSource.KNMI:
            created, updated = _write_weather(run, parsed)
        else:
            created, updated = write_observations(run=run, parsed=parsed)
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportStatus.DONE,
            created=created,
            updated=updated,
            warnings=[str(w) for w in parsed.warnings],
            payload=None,
            finished_at=timezone.now(),
        )
    run.refresh_from_db()
    return run


def _parse(run: ImportRun, data: bytes, progress) -> Parsed:
    if run.source == ImportSource.OWN_CSV:
        return own.parse_csv(data, area=run.area, progress=progress)
    if run.source == ImportSource.OWN_JSON:
        return own.parse_json(data, area=run.area, progress=progress)
    if run.source == ImportSource.TELRAAM:
        return telraam.parse(data, area=run.area, progress=progress)
    if run.source == ImportSource.HYSTREET:
        return hystreet.parse(data, sensor=run.sensor, progress=progress)
    if run.source == ImportSource.KNMI:
        return knmi.parse(data, progress=progress)
    raise ValueError(run.source)


def _fail(run: ImportRun, errors: list[RowError], *, warnings=(), lines: int = 0) -> None:
    kept = [error.as_dict() for error in errors[:MAX_ERRORS]]
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.FAILED,
        errors=kept,
        warnings=[str(w) for w in warnings],
        rows_total=lines,
        payload=None,
        finished_at=timezone.now(),
    )


def write_observations(*, run: ImportRun, parsed: Parsed) -> tuple[int, int]:
    """Upsert the parsed observations (caller's transaction) and reassess the days they touch.
    Returns (new, updated)."""
    rows = parsed.rows
    if not rows:
        return 0, 0
    by_sensor: dict[int, list] = defaultdict(list)
    for row in rows:
        by_sensor[row.sensor_id].append(row)
    existing = 0
    for sensor_id, sensor_rows in by_sensor.items():
        low = min(row.start for row in sensor_rows)
        high = max(row.start for row in sensor_rows)
        keys = {row.key[1:] for row in sensor_rows}
        stored = Observation.objects.filter(
            sensor_id=sensor_id, phenomenon_start__gte=low, phenomenon_start__lte=high
        ).values_list("observed_property", "direction", "phenomenon_start")
        existing += sum(1 for key in stored.iterator(chunk_size=10_000) if key in keys)
    objects = (
        Observation(
            sensor_id=row.sensor_id,
            observed_property=row.observed_property,
            direction=row.direction,
            phenomenon_start=row.start,
            phenomenon_end=row.end,
            value=row.value,
            uptime=row.uptime,
            flags=row.flags,
            import_run_id=run.pk,
        )
        for row in rows
    )
    batch = []
    for observation in objects:
        batch.append(observation)
        if len(batch) >= WRITE_BATCH:
            _upsert(batch)
            batch = []
    if batch:
        _upsert(batch)
    sensors = Sensor.objects.select_related("area").in_bulk(list(by_sensor))
    for sensor_id, labels in parsed.sensor_labels.items():
        sensor = sensors[sensor_id]
        if not sensor.left_label and not sensor.right_label:
            Sensor.objects.filter(pk=sensor_id).update(left_label=labels[0][:80], right_label=labels[1][:80])
    for sensor_id, sensor_rows in by_sensor.items():
        sensor = sensors[sensor_id]
        tz = sensor.area.tz
        first = min(row.start for row in sensor_rows).astimezone(tz).date()
        last = max(row.start for row in sensor_rows).astimezone(tz).date()
        assess_sensor(sensor=sensor, start=first - timedelta(days=1), end=last + timedelta(days=1))
    return len(rows) - existing, existing


def _upsert(batch: list[Observation]) -> None:
    Observation.objects.bulk_create(
        batch,
        update_conflicts=True,
        unique_fields=["sensor", "observed_property", "direction", "phenomenon_start"],
        update_fields=["phenomenon_end", "value", "uptime", "flags", "import_run"],
    )


def _write_weather(run: ImportRun, parsed: Parsed) -> tuple[int, int]:
    code, name = parsed.station
    station, _created = WeatherStation.objects.get_or_create(code=code, defaults={"name": name})
    days = parsed.weather
    existing = set(
        WeatherDay.objects.filter(station=station, date__in=[d.date for d in days]).values_list("date", flat=True)
    )
    for day in days:
        day.station = station
    WeatherDay.objects.bulk_create(
        days,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["station", "date"],
        update_fields=["temp_mean_c", "temp_min_c", "temp_max_c", "precipitation_mm", "sunshine_h"],
    )
    settings, _made = AreaDataSettings.objects.get_or_create(area=run.area)
    if settings.weather_station_id is None:
        settings.weather_station = station
        settings.save(update_fields=["weather_station"])
    return len(days) - len(existing), len(existing)


def push_observations(*, area, by, payload) -> ImportRun:
    """The API's push: our own JSON format (see `own`), checked and written at once, all or nothing.
    Raises ImportNotAllowed, ImportRejected (with every problem by item number)."""
    require_importer(by, area)
    parsed = own.parse_json(payload, area=area)
    if parsed.errors:
        raise ImportRejected(parsed.errors[:MAX_ERRORS])
    with transaction.atomic():
        run = ImportRun.objects.create(
            area=area,
            created_by=by,
            source=ImportSource.API,
            status=ImportStatus.WRITING,
            rows_total=parsed.lines,
            rows_done=parsed.lines,
        )
        created, updated = write_observations(run=run, parsed=parsed)
        run.status = ImportStatus.DONE
        run.created, run.updated = created, updated
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "created", "updated", "finished_at"])
    return run


def import_file_now(
    *, area, by, source: str, data: bytes, file_name: str = "", sensor: Sensor | None = None
) -> ImportRun:
    """Start and run an import in this process (management command, demo, tests); returns the finished run."""
    run = start_import(area=area, by=by, source=source, file_name=file_name, data=data, sensor=sensor)
    return execute_import(run.pk)

"""Counting sensors, their observations, imports, weather and the control calendar of an area.

The shape follows the OSLO / W3C SOSA observation model (docs/analytics-data.md):

    CountingPoint  (featureOfInterest: a place in the area, e.g. a shopping street or a shop's door)
      └ Sensor     (the device: our own counter, a Telraam segment, a Hystreet station)
          └ Observation (observedProperty + direction, phenomenonTime [start, end), result, uptime)

An observation is unique per (sensor, observed property, direction, phenomenon start): importing a
file twice updates the same rows (an upsert) and never counts twice. Every observation remembers the
`ImportRun` that wrote it last and carries data-quality flags (`analytics.quality.Flag`, a bit set).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = [
    "AreaDataSettings",
    "CountingPoint",
    "CountingPointKind",
    "Direction",
    "ImportRun",
    "ImportSource",
    "ImportStatus",
    "Observation",
    "ObservedProperty",
    "Provider",
    "SchoolRegion",
    "Sensor",
    "SensorDayQuality",
    "WeatherDay",
    "WeatherStation",
]


class SchoolRegion(models.TextChoices):
    """The school-holiday regions of the `holidays` package (NL: three regions; BE: the communities)."""

    NONE = "", _("none")
    NL_NOORD = "Noord", _("Netherlands: north")
    NL_MIDDEN = "Midden", _("Netherlands: middle")
    NL_ZUID = "Zuid", _("Netherlands: south")
    BE_FLEMISH = "Flemish", _("Belgium: Flemish community")
    BE_FRENCH = "French", _("Belgium: French community")
    BE_GERMAN = "German", _("Belgium: German-speaking community")


class WeatherStation(models.Model):
    """A KNMI station (its number, `STN`), shared by every area that reads its weather."""

    code = models.PositiveIntegerField(_("station number"), unique=True)
    name = models.CharField(_("name"), max_length=80)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    source = models.CharField(_("source"), max_length=40, default="KNMI")

    class Meta:
        verbose_name = _("weather station")
        verbose_name_plural = _("weather stations")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class WeatherDay(models.Model):
    """One day of a station, in SI-ish units (KNMI stores 0.1 °C, 0.1 mm, 0.1 h; converted on import)."""

    station = models.ForeignKey(WeatherStation, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    temp_mean_c = models.FloatField(_("mean temperature (°C)"), null=True, blank=True)
    temp_min_c = models.FloatField(_("minimum temperature (°C)"), null=True, blank=True)
    temp_max_c = models.FloatField(_("maximum temperature (°C)"), null=True, blank=True)
    precipitation_mm = models.FloatField(_("precipitation (mm)"), null=True, blank=True)
    sunshine_h = models.FloatField(_("sunshine (h)"), null=True, blank=True)

    class Meta:
        verbose_name = _("weather day")
        verbose_name_plural = _("weather days")
        constraints = [models.UniqueConstraint(fields=["station", "date"], name="weather_day_unique")]
        ordering = ["station", "date"]

    def __str__(self) -> str:
        return f"{self.station_id} {self.date}"


class AreaDataSettings(models.Model):
    """An area's control calendar, weather station and open-data choices (one row per area, made on demand)."""

    area = models.OneToOneField("areas.ShoppingArea", on_delete=models.CASCADE, related_name="data_settings")
    weather_station = models.ForeignKey(
        WeatherStation, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("weather station")
    )
    holiday_country = models.CharField(
        _("public holidays of"), max_length=2, blank=True, help_text=_("ISO country code; empty: the area's country.")
    )
    holiday_subdivision = models.CharField(
        _("region for public holidays"),
        max_length=10,
        blank=True,
        help_text=_("For example NW (North Rhine-Westphalia)."),
    )
    school_region = models.CharField(
        _("school-holiday region"), max_length=10, choices=SchoolRegion.choices, blank=True
    )
    open_data = models.BooleanField(_("publish aggregated counts as open data"), default=True)
    open_data_licence = models.CharField(_("open-data licence"), max_length=40, default="CC-BY-4.0")

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("area data settings")
        verbose_name_plural = _("area data settings")

    def __str__(self) -> str:
        return str(self.area_id)


class CountingPointKind(models.TextChoices):
    PEDESTRIAN_ZONE = "pedestrian_zone", _("pedestrian zone")
    STREET = "street", _("street")
    SQUARE = "square", _("square")
    STORE_ENTRANCE = "store_entrance", _("store entrance")
    ROAD_SEGMENT = "road_segment", _("road segment")
    PARKING = "parking", _("car park")
    OTHER = "other", _("other")


class CountingPoint(models.Model):
    """A place where something is counted (SOSA feature of interest; OSLO `Verkeersmeetpunt`)."""

    area = models.ForeignKey("areas.ShoppingArea", on_delete=models.CASCADE, related_name="counting_points")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=20, choices=CountingPointKind.choices, default=CountingPointKind.STREET
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    merchant = models.ForeignKey(
        "areas.Merchant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="counting_points",
        verbose_name=_("merchant"),
        help_text=_("For a store entrance: whose door it is."),
    )
    holiday_country = models.CharField(
        _("public holidays of"), max_length=2, blank=True, help_text=_("Empty: as the area.")
    )
    holiday_subdivision = models.CharField(_("region for public holidays"), max_length=10, blank=True)
    is_public = models.BooleanField(_("on the open-data page"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_area_path = "area"
    scope_merchant_path = "merchant"

    class Meta:
        verbose_name = _("counting point")
        verbose_name_plural = _("counting points")
        ordering = ["area", "name"]
        constraints = [models.UniqueConstraint(fields=["area", "name"], name="counting_point_name_unique")]

    def __str__(self) -> str:
        return self.name


class Provider(models.TextChoices):
    OWN = "own", _("own counter")
    TELRAAM = "telraam", "Telraam"
    HYSTREET = "hystreet", "Hystreet"


class Sensor(models.Model):
    """A counting device at a counting point. `external_id`: the provider's id (Telraam segment, Hystreet
    station, our own serial); unique per area and provider, so an import finds it by that id."""

    counting_point = models.ForeignKey(CountingPoint, on_delete=models.CASCADE, related_name="sensors")
    area = models.ForeignKey("areas.ShoppingArea", on_delete=models.CASCADE, related_name="sensors", editable=False)
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices, default=Provider.OWN)
    external_id = models.CharField(_("provider's id"), max_length=80)
    left_label = models.CharField(
        _("direction “left” is towards"), max_length=80, blank=True, help_text=_("For example “Neumarkt”.")
    )
    right_label = models.CharField(_("direction “right” is towards"), max_length=80, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    scope_area_path = "area"
    scope_merchant_path = "counting_point__merchant"

    class Meta:
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")
        ordering = ["counting_point", "provider", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["area", "provider", "external_id"], name="sensor_external_id_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.external_id}"

    def save(self, *args, **kwargs):
        self.area_id = self.counting_point.area_id
        super().save(*args, **kwargs)


class ObservedProperty(models.TextChoices):
    """What is counted (SOSA observed property). Telraam's classes keep their own names."""

    PERSONS = "persons", _("persons")
    ADULTS = "adults", _("adults")
    CHILDREN = "children", _("children")
    STORE_ENTRANTS = "store_entrants", _("store entrants")
    PEDESTRIAN = "pedestrian", _("pedestrians (Telraam)")
    BIKE = "bike", _("bicycles")
    CAR = "car", _("cars")
    HEAVY = "heavy", _("heavy vehicles")


class Direction(models.TextChoices):
    BOTH = "both", _("both directions")
    IN = "in", _("in")
    OUT = "out", _("out")
    LEFT = "left", _("left")
    RIGHT = "right", _("right")


class ImportSource(models.TextChoices):
    OWN_CSV = "own_csv", _("our CSV format")
    OWN_JSON = "own_json", _("our JSON format")
    TELRAAM = "telraam", _("Telraam report (JSON)")
    HYSTREET = "hystreet", _("Hystreet export (CSV)")
    KNMI = "knmi", _("KNMI daily weather")
    API = "api", _("API push")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    RUNNING = "running", _("checking")
    WRITING = "writing", _("writing")
    DONE = "done", _("done")
    FAILED = "failed", _("refused")


class ImportRun(models.Model):
    """One import: who, when, what, its progress and its outcome. `errors`: [{line, field, message}]
    (nothing was written when there are any); `warnings`: quirks found and handled (e.g. shifted columns)."""

    area = models.ForeignKey("areas.ShoppingArea", on_delete=models.CASCADE, related_name="import_runs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("source"), max_length=10, choices=ImportSource.choices)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    sensor = models.ForeignKey(
        Sensor, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("sensor")
    )
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    created = models.PositiveIntegerField(_("new values"), default=0)
    updated = models.PositiveIntegerField(_("updated values"), default=0)
    errors = models.JSONField(_("problems"), default=list, blank=True)
    warnings = models.JSONField(_("notes"), default=list, blank=True)
    payload = models.BinaryField(null=True, blank=True, editable=False)  # the upload, until the task has read it
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["area", "-created_at"], name="import_run_area_recent")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.file_name}"

    @property
    def progress(self) -> float:
        return min(1.0, self.rows_done / self.rows_total) if self.rows_total else 0.0

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


class Observation(models.Model):
    """One count (SOSA observation; OSLO `Verkeerstelling`): `value` over [phenomenon_start, phenomenon_end).
    `uptime` 0–1 where the provider reports it (Telraam); `flags`: `analytics.quality.Flag` bits."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="observations")
    observed_property = models.CharField(_("observed property"), max_length=16, choices=ObservedProperty.choices)
    direction = models.CharField(_("direction"), max_length=5, choices=Direction.choices, default=Direction.BOTH)
    phenomenon_start = models.DateTimeField(_("from"))
    phenomenon_end = models.DateTimeField(_("until"))
    value = models.FloatField(_("count"))
    uptime = models.FloatField(_("uptime"), null=True, blank=True)
    flags = models.PositiveIntegerField(_("quality flags"), default=0)
    import_run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    scope_area_path = "sensor__area"
    scope_merchant_path = "sensor__counting_point__merchant"

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        constraints = [
            models.UniqueConstraint(
                fields=["sensor", "observed_property", "direction", "phenomenon_start"], name="observation_unique"
            ),
            models.CheckConstraint(
                condition=Q(phenomenon_end__gt=models.F("phenomenon_start")), name="observation_interval"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="observation_value_not_negative"),
            models.CheckConstraint(
                condition=Q(uptime__isnull=True) | (Q(uptime__gte=0) & Q(uptime__lte=1)), name="observation_uptime_0_1"
            ),
        ]
        indexes = [models.Index(fields=["observed_property", "phenomenon_start"], name="observation_property_time")]

    def __str__(self) -> str:
        return f"{self.sensor_id} {self.observed_property} {self.direction} {self.phenomenon_start:%Y-%m-%d %H:%M}"


class SensorDayQuality(models.Model):
    """A sensor's data quality on one local day (`analytics.quality` writes it after each import):
    `flags` (`quality.Flag` bits), `coverage` = intervals present ÷ intervals expected (0–1)."""

    sensor = models.ForeignKey(Sensor, on_delete=models.CASCADE, related_name="quality_days")
    date = models.DateField(_("date"))
    flags = models.PositiveIntegerField(_("quality flags"), default=0)
    coverage = models.FloatField(_("coverage"), default=0)
    mean_uptime = models.FloatField(_("mean uptime"), null=True, blank=True)

    scope_area_path = "sensor__area"
    scope_merchant_path = "sensor__counting_point__merchant"

    class Meta:
        verbose_name = _("sensor day quality")
        verbose_name_plural = _("sensor day quality")
        constraints = [models.UniqueConstraint(fields=["sensor", "date"], name="sensor_day_quality_unique")]

    def __str__(self) -> str:
        return f"{self.sensor_id} {self.date}"

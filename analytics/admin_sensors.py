"""Counting points, sensors, weather stations and the area data settings in the admin; imports read-only."""

from django.contrib import admin

from .models import AreaDataSettings, CountingPoint, ImportRun, Sensor, WeatherStation


class SensorInline(admin.TabularInline):
    model = Sensor
    extra = 0
    fields = ("provider", "external_id", "left_label", "right_label", "is_active")


@admin.register(CountingPoint)
class CountingPointAdmin(admin.ModelAdmin):
    list_display = ("name", "area", "kind", "merchant", "holiday_country", "is_public")
    list_filter = ("area", "kind", "is_public")
    search_fields = ("name",)
    inlines = [SensorInline]
    autocomplete_fields = ("merchant",)


@admin.register(AreaDataSettings)
class AreaDataSettingsAdmin(admin.ModelAdmin):
    list_display = ("area", "weather_station", "holiday_country", "holiday_subdivision", "school_region", "open_data")


@admin.register(WeatherStation)
class WeatherStationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "source")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "area", "source", "file_name", "status", "rows_total", "created", "updated")
    list_filter = ("area", "source", "status")
    readonly_fields = [f.name for f in ImportRun._meta.fields if f.name != "payload"]
    exclude = ("payload",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

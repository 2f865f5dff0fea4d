"""English as it is read in the Netherlands and Flanders: day before month, a 24-hour clock, the week starting on
Monday ("1 December 2026, 14:30", "01/12/2026"), not Django's American defaults ("Dec. 1, 2026, 2:30 p.m.",
"12/01/2026", which a Dutch or Flemish reader takes for 12 January). Numbers keep English separators
("1,234.56"). https://docs.djangoproject.com/en/stable/topics/i18n/formatting/#creating-custom-format-files"""

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

# What a form reads, first match wins: ISO (what date inputs send) before day-first.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",  # WAGTAIL_DATETIME_FORMAT: the editor's date and time fields
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

def area(request):
    """The current area (or None) for templates: name, branding, languages."""
    current = getattr(request, "area", None)
    return {"area": current if current else None}

"""marshmallow schemas of the routes (params, bodies, answers), one module per route
group; ``common`` holds what several groups share. Route modules import the module they
need (``from tgscraper.schemas.history import HistoryQuery``)."""

"""Media: which files are downloaded, fetching them fast and safely, serving them.

* ``policy``      — what settings allow (automatic downloads, on-demand size limit)
* ``filenames``   — where a downloaded file lives on disk (sanitised names)
* ``connections`` — pyrogram media sessions per DC, parts in flight capped per DC
* ``partfile``    — the temporary file, its record of finished parts, the final rename
* ``downloader``  — one file as parallel ``upload.getFile`` parts, resumable
* ``references``  — fresh file references after FILE_REFERENCE_EXPIRED
* ``fetcher``     — one media row to one complete file on disk, and the row updated
* ``service``     — per-account background pool, single flight per uuid, repair
* ``serving``     — the HTTP answer for a file (Range, conditional requests, names)
"""

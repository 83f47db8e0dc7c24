"""Reading inputs: files and frames in (read), checked and repaired (validate, prepare),
bundled in one metric CRS (load); the embedded sample, OpenStreetMap and real
Kota Serang boundaries (datasets)."""

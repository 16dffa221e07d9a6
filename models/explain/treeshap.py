"""Exact path-dependent TreeSHAP for LightGBM boosters, fast enough for a whole province.

LightGBM's ``pred_contrib`` (what `shap.TreeExplainer` calls) runs the TreeSHAP recursion for
every row and tree: O(L·D²) per tree per row. This module gets the same numbers by moving
the work into a per-model precomputation (the idea behind Fast TreeSHAP v2):

* In path-dependent TreeSHAP a leaf ``l`` with value ``v`` and unique path features ``F``
  (|F| = d) contributes to the conditional expectation for a coalition S the amount
  ``v · Π_{j∈S} o_j · Π_{j∈F∖S} z_j``, where ``z_j`` is the product of the cover fractions
  of ``j``'s splits on the path and ``o_j`` is 1 when the row satisfies all of them. So the
  leaf's Shapley values depend on the row only through the d bits ``o``.
* For every leaf and each of its 2^d bit patterns, the d Shapley values are computed once per
  model (`_leaf_tables`), exactly, by summing over coalitions.
* Per row, each tree costs its split decisions plus, per leaf, building the pattern from the
  path's decisions and adding d table entries (`_explain_block`): no recursion, no
  allocation, compiled with numba and run in parallel over blocks of rows.

The decision rules (missing values, zero as missing, categorical bitsets) are LightGBM's own,
read from the booster's text model, so results equal ``pred_contrib`` to rounding (the tests
check 1e-9). Precomputation is O(L·2^d·d·2^d) per tree, which is why the production model's
depth is bounded (`training.booster`).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import lightgbm as lgb
import numba
import numpy as np
import numpy.typing as npt

MAX_PATH_FEATURES = 12
"""Distinct features on one root-to-leaf path; beyond this the tables grow too large."""
BLOCK_ROWS = 512
"""Rows per block: the block's values, patterns and contributions stay in cache."""
FEW_ROWS = 3
"""Below this many rows, one row at a time (`_explain_few`): the blocked kernel's loops over
a block's rows cost more to set up than one or two rows' work (`bench/explain.py` prints
both: one row of the 300-tree model at 50,000 enterprises 1.06 ms blocked, 0.52 ms alone)."""
ZERO_THRESHOLD = 1e-35
"""LightGBM's kZeroThreshold: |x| at or below it counts as zero for zero-as-missing splits."""
CATEGORICAL_MASK, DEFAULT_LEFT_MASK = 1, 2
MISSING_ZERO, MISSING_NAN = 1, 2


class UnsupportedModelError(ValueError):
    """A booster this explainer cannot reproduce exactly (linear trees, very deep paths)."""


@dataclass(frozen=True)
class CompiledForest:
    """A booster's trees flattened into arrays, with every leaf's Shapley table."""

    num_features: int
    expected_value: float
    # split nodes, all trees concatenated
    node_feature: npt.NDArray[np.int32]
    node_threshold: npt.NDArray[np.float64]
    node_decision: npt.NDArray[np.int32]
    node_nan_left: npt.NDArray[np.bool_]
    node_zero_missing: npt.NDArray[np.bool_]
    node_default_left: npt.NDArray[np.bool_]
    node_categorical: npt.NDArray[np.bool_]
    """The decision type unpacked: where a missing value goes (NaN counts as 0 unless the
    node's missing type is NaN), whether zero is missing, the default side, categorical."""
    node_cat_start: npt.NDArray[np.int64]
    node_cat_words: npt.NDArray[np.int64]
    cat_bits: npt.NDArray[np.uint32]
    node_slot: npt.NDArray[np.int32]
    """Bit of the node's feature in the pattern of every leaf below it."""
    node_left: npt.NDArray[np.int32]
    node_right: npt.NDArray[np.int32]
    """Children within the tree: a split node's index, or ~leaf for a leaf."""
    tree_node_start: npt.NDArray[np.int64]
    tree_leaf_start: npt.NDArray[np.int64]
    # leaves: path (node index within the tree, direction; for checking decisions), slots, table
    leaf_path_len: npt.NDArray[np.int32]
    leaf_path_node: npt.NDArray[np.int32]
    leaf_path_left: npt.NDArray[np.bool_]
    leaf_slots: npt.NDArray[np.int32]
    leaf_slot_feature: npt.NDArray[np.int32]
    leaf_table_start: npt.NDArray[np.int64]
    tables: npt.NDArray[np.float64]

    @property
    def trees(self) -> int:
        return len(self.tree_node_start) - 1

    @property
    def table_bytes(self) -> int:
        return int(self.tables.nbytes)


def compile_forest(booster: lgb.Booster) -> CompiledForest:
    """Read the booster's text model and precompute every leaf's Shapley table."""
    if booster.num_model_per_iteration() != 1:
        raise UnsupportedModelError("only single-output (binary or regression) boosters can "
                                    f"be explained; this one has "
                                    f"{booster.num_model_per_iteration()} outputs per round")
    trees = _parse_trees(booster.model_to_string())
    builder = _ForestBuilder(booster.num_feature())
    for tree in trees:
        builder.add(tree)
    return builder.build()


def shap_values(forest: CompiledForest, x: npt.NDArray[np.float64],
                threads: int | None = None) -> npt.NDArray[np.float64]:
    """Contributions in log-odds, shape (rows, features + 1), the last column the expected
    value: the layout of LightGBM's ``predict(x, pred_contrib=True)``."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != forest.num_features:
        raise ValueError(f"expected a matrix with {forest.num_features} feature columns, "
                         f"found shape {x.shape}")
    out = np.zeros((x.shape[0], forest.num_features + 1), dtype=np.float64)
    previous = numba.get_num_threads()
    if threads:
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        kernel = _explain_few if x.shape[0] < FEW_ROWS else _explain
        kernel(x, out, forest.node_feature, forest.node_threshold, forest.node_nan_left,
                 forest.node_zero_missing, forest.node_default_left, forest.node_categorical,
                 forest.node_cat_start, forest.node_cat_words, forest.cat_bits,
                 forest.node_slot, forest.node_left, forest.node_right,
                 forest.tree_node_start, forest.tree_leaf_start, forest.leaf_slots,
                 forest.leaf_slot_feature, forest.leaf_table_start, forest.tables, BLOCK_ROWS)
    finally:
        numba.set_num_threads(previous)
    out[:, -1] = forest.expected_value
    return out


def leaf_indices(forest: CompiledForest, x: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
    """The leaf each row reaches in each tree, by this module's decision rules (for checking
    them against LightGBM's ``pred_leaf``)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.zeros((x.shape[0], forest.trees), dtype=np.int32)
    _leaves(x, out, forest.node_feature, forest.node_threshold, forest.node_decision,
            forest.node_cat_start, forest.node_cat_words, forest.cat_bits,
            forest.tree_node_start, forest.tree_leaf_start, forest.leaf_path_len,
            forest.leaf_path_node, forest.leaf_path_left)
    return out


# ---------------------------------------------------------------- parsing the text model

@dataclass
class _Tree:
    num_leaves: int
    split_feature: list[int]
    threshold: list[float]
    decision_type: list[int]
    left_child: list[int]
    right_child: list[int]
    leaf_value: list[float]
    leaf_count: list[float]
    internal_count: list[float]
    cat_boundaries: list[int]
    cat_threshold: list[int]


def _parse_trees(model: str) -> list[_Tree]:
    trees = []
    for block in model.split("\nTree=")[1:]:
        block = block.split("\n\n", 1)[0]
        fields = dict(line.split("=", 1) for line in block.splitlines()[1:] if "=" in line)
        if fields.get("is_linear", "0") != "0":
            raise UnsupportedModelError("linear trees are not supported by the explainer")

        def ints(key: str, fields: dict[str, str] = fields) -> list[int]:
            return [int(v) for v in fields.get(key, "").split()]

        def floats(key: str, fields: dict[str, str] = fields) -> list[float]:
            return [float(v) for v in fields.get(key, "").split()]

        trees.append(_Tree(int(fields["num_leaves"]), ints("split_feature"),
                           floats("threshold"), ints("decision_type"), ints("left_child"),
                           ints("right_child"), floats("leaf_value"), floats("leaf_count"),
                           floats("internal_count"), ints("cat_boundaries"),
                           ints("cat_threshold")))
    return trees


# ---------------------------------------------------------------- precomputation

class _ForestBuilder:
    def __init__(self, num_features: int) -> None:
        self.num_features = num_features
        self.expected = 0.0
        self.nodes: dict[str, list] = {k: [] for k in (
            "feature", "threshold", "decision", "cat_start", "cat_words", "slot", "left",
            "right")}
        self.cat_bits: list[int] = []
        self.tree_node_start = [0]
        self.tree_leaf_start = [0]
        self.leaves: dict[str, list] = {k: [] for k in (
            "path_len", "path_node", "path_left", "slots", "slot_feature",
            "table_start")}
        self.tables: list[npt.NDArray[np.float64]] = []
        self.table_size = 0

    def add(self, tree: _Tree) -> None:
        internal = tree.num_leaves - 1
        for node in range(internal):
            categorical = tree.decision_type[node] & CATEGORICAL_MASK
            if categorical:
                index = int(tree.threshold[node])
                start, end = tree.cat_boundaries[index], tree.cat_boundaries[index + 1]
                self.nodes["cat_start"].append(len(self.cat_bits))
                self.nodes["cat_words"].append(end - start)
                self.cat_bits.extend(tree.cat_threshold[start:end])
            else:
                self.nodes["cat_start"].append(0)
                self.nodes["cat_words"].append(0)
            self.nodes["feature"].append(tree.split_feature[node])
            self.nodes["threshold"].append(tree.threshold[node])
            self.nodes["decision"].append(tree.decision_type[node])
            self.nodes["left"].append(tree.left_child[node])
            self.nodes["right"].append(tree.right_child[node])
        node_slot = [0] * internal
        for leaf, path in enumerate(_leaf_paths(tree)):
            for (node, _), slot in zip(path, self._add_leaf(tree, leaf, path), strict=True):
                node_slot[node] = slot
        self.nodes["slot"].extend(node_slot)
        self.tree_node_start.append(self.tree_node_start[-1] + internal)
        self.tree_leaf_start.append(self.tree_leaf_start[-1] + tree.num_leaves)

    def _add_leaf(self, tree: _Tree, leaf: int, path: list[tuple[int, bool]]) -> list[int]:
        """Add the leaf's path and table; return the slot of each path node's feature."""
        slots: list[int] = []
        zero = []
        path_slot = []
        for node, left in path:
            feature = tree.split_feature[node]
            child = tree.left_child[node] if left else tree.right_child[node]
            count = (tree.internal_count[child] if child >= 0 else tree.leaf_count[~child])
            fraction = count / tree.internal_count[node]
            if feature in slots:
                zero[slots.index(feature)] *= fraction
            else:
                slots.append(feature)
                zero.append(fraction)
            path_slot.append(slots.index(feature))
        if len(slots) > MAX_PATH_FEATURES:
            raise UnsupportedModelError(
                f"a path uses {len(slots)} distinct features; the explainer's tables allow "
                f"{MAX_PATH_FEATURES} (train with a smaller max_depth)")
        value = tree.leaf_value[leaf]
        self.expected += value * float(np.prod(zero)) if zero else value
        table = _leaf_table(np.asarray(zero, np.float64), value)
        self.leaves["path_len"].append(len(path))
        self.leaves["path_node"].append([n for n, _ in path])
        self.leaves["path_left"].append([left for _, left in path])
        self.leaves["slots"].append(len(slots))
        self.leaves["slot_feature"].append(slots)
        self.leaves["table_start"].append(self.table_size)
        self.tables.append(table.ravel())
        self.table_size += table.size
        return path_slot

    def build(self) -> CompiledForest:
        depth = max([len(p) for p in self.leaves["path_node"]] + [1])
        width = max(self.leaves["slots"] + [1])

        def padded(rows: list[list], dtype: type, size: int) -> npt.NDArray:
            array = np.zeros((len(rows), size), dtype=dtype)
            for i, row in enumerate(rows):
                array[i, :len(row)] = row
            return array

        return CompiledForest(
            num_features=self.num_features, expected_value=self.expected,
            node_feature=np.asarray(self.nodes["feature"], np.int32),
            node_threshold=np.asarray(self.nodes["threshold"], np.float64),
            **_unpacked(np.asarray(self.nodes["decision"], np.int32),
                        np.asarray(self.nodes["threshold"], np.float64)),
            node_cat_start=np.asarray(self.nodes["cat_start"], np.int64),
            node_cat_words=np.asarray(self.nodes["cat_words"], np.int64),
            cat_bits=np.asarray(self.cat_bits or [0], np.uint32),
            node_slot=np.asarray(self.nodes["slot"], np.int32),
            node_left=np.asarray(self.nodes["left"], np.int32),
            node_right=np.asarray(self.nodes["right"], np.int32),
            tree_node_start=np.asarray(self.tree_node_start, np.int64),
            tree_leaf_start=np.asarray(self.tree_leaf_start, np.int64),
            leaf_path_len=np.asarray(self.leaves["path_len"], np.int32),
            leaf_path_node=padded(self.leaves["path_node"], np.int32, depth),
            leaf_path_left=padded(self.leaves["path_left"], np.bool_, depth),
            leaf_slots=np.asarray(self.leaves["slots"], np.int32),
            leaf_slot_feature=padded(self.leaves["slot_feature"], np.int32, width),
            leaf_table_start=np.asarray(self.leaves["table_start"], np.int64),
            tables=(np.concatenate(self.tables) if self.tables else np.zeros(1)),
        )


def _unpacked(decision: npt.NDArray[np.int32],
              threshold: npt.NDArray[np.float64]) -> dict[str, npt.NDArray]:
    missing = (decision >> 2) & 3
    default_left = (decision & DEFAULT_LEFT_MASK) != 0
    return {
        "node_decision": decision,
        "node_nan_left": np.where(missing == 0, threshold >= 0.0, default_left),
        "node_zero_missing": missing == MISSING_ZERO,
        "node_default_left": default_left,
        "node_categorical": (decision & CATEGORICAL_MASK) != 0,
    }


def _leaf_paths(tree: _Tree) -> list[list[tuple[int, bool]]]:
    """Per leaf, the (split node, went left) pairs from the root."""
    paths: list[list[tuple[int, bool]]] = [[] for _ in range(tree.num_leaves)]
    if tree.num_leaves == 1:
        return paths
    stack: list[tuple[int, list[tuple[int, bool]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        for child, left in ((tree.left_child[node], True), (tree.right_child[node], False)):
            extended = [*path, (node, left)]
            if child < 0:
                paths[~child] = extended
            else:
                stack.append((child, extended))
    return paths


def _leaf_table(zero: npt.NDArray[np.float64], value: float) -> npt.NDArray[np.float64]:
    """Shapley values of one leaf for every pattern of satisfied path features: (2^d, d)."""
    d = zero.size
    weights = np.array([factorial(s) * factorial(d - s - 1) / factorial(d) for s in range(d)]
                       ) if d else np.zeros(0)
    return _fill_table(zero, value, weights)


@numba.njit(cache=True)
def _fill_table(zero: npt.NDArray[np.float64], value: float,
                weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    d = zero.size
    table = np.zeros((1 << d, d))
    for pattern in range(1 << d):
        for k in range(d):
            o_k = (pattern >> k) & 1
            others = 0
            for j in range(d):
                if j != k:
                    others |= 1 << j
            total = 0.0
            # coalitions S ⊆ F∖{k}; Π_{S} o_j is zero unless S ⊆ pattern
            subset = others & pattern
            while True:
                term = weights[_popcount(subset)]
                for j in range(d):
                    if (others >> j) & 1 and not (subset >> j) & 1:
                        term *= zero[j]
                total += term
                if subset == 0:
                    break
                subset = (subset - 1) & others & pattern
            table[pattern, k] = value * total * (o_k - zero[k])
    return table


@numba.njit(cache=True)
def _popcount(value: int) -> int:
    count = 0
    while value:
        value &= value - 1
        count += 1
    return count


# ---------------------------------------------------------------- per-row kernels

@numba.njit(cache=True, inline="always")
def _goes_left(x: float, threshold: float, decision: int, cat_start: int, cat_words: int,
               cat_bits: npt.NDArray[np.uint32]) -> bool:
    """LightGBM's Tree::Decision for one split node."""
    if decision & CATEGORICAL_MASK:
        if np.isnan(x) or x < 0:
            return False
        category = int(x)
        word = category >> 5
        if word >= cat_words:
            return False
        return (cat_bits[cat_start + word] >> (category & 31)) & 1 == 1
    missing = (decision >> 2) & 3
    if np.isnan(x) and missing != MISSING_NAN:
        x = 0.0
    if (missing == MISSING_ZERO and abs(x) <= ZERO_THRESHOLD) or (
            missing == MISSING_NAN and np.isnan(x)):
        return (decision & DEFAULT_LEFT_MASK) != 0
    return x <= threshold


@numba.njit(cache=True, inline="always")
def _max_leaves(tree_leaf_start: npt.NDArray[np.int64]) -> int:
    """The most leaves of any tree (at least 2): the size of a row's pattern buffers."""
    most = 2
    for t in range(tree_leaf_start.size - 1):
        most = max(most, tree_leaf_start[t + 1] - tree_leaf_start[t])
    return most


@numba.njit(cache=True, inline="always")
def _category_left(v: float, start: int, words: int, cat_bits: npt.NDArray[np.uint32]) -> bool:
    """A categorical split's decision, branch-free: NaN and negatives go right."""
    valid = v >= 0.0
    category = np.int64(v if valid else 0.0)
    word = category >> 5
    inside = word < words
    bits = cat_bits[start + (word if inside else 0)]
    return valid & inside & (((bits >> (category & 31)) & 1) == 1)


@numba.njit(cache=True, inline="always")
def _number_left(v: float, threshold: float, nan_left: bool, zero_missing: bool,
                 default_left: bool) -> bool:
    """A numerical split's decision, branch-free (missing values by the node's rule)."""
    is_nan = v != v
    zero = zero_missing & (abs(v) <= ZERO_THRESHOLD)
    return (is_nan & nan_left) | (zero & default_left) | ((v <= threshold) & ~zero)


@numba.njit(cache=True, parallel=True)
def _explain(x, out, node_feature, node_threshold, node_nan_left, node_zero_missing,
             node_default_left, node_categorical, node_cat_start, node_cat_words, cat_bits,
             node_slot, node_left, node_right, tree_node_start, tree_leaf_start, leaf_slots,
             leaf_slot_feature, leaf_table_start, tables, block_rows) -> None:
    """Blocks of rows in parallel; within a block, trees one by one, and for each split node
    or leaf a loop over the block's rows that LLVM can vectorise (the block is transposed so
    one feature's values are contiguous, and decisions are branch-free selects).

    Parent split nodes come before their children in LightGBM's numbering, so one pass over
    the nodes carries each path's pattern down to every leaf."""
    rows, features = x.shape
    blocks = (rows + block_rows - 1) // block_rows
    trees = tree_node_start.size - 1
    max_leaves = _max_leaves(tree_leaf_start)
    for b in numba.prange(blocks):
        first_row = b * block_rows
        m = min(rows, first_row + block_rows) - first_row
        xb = np.empty((features, block_rows))
        for r in range(m):
            for j in range(features):
                xb[j, r] = x[first_row + r, j]
        ob = np.zeros((features, block_rows))
        node_pattern = np.empty((max_leaves, block_rows), np.int64)
        leaf_pattern = np.empty((max_leaves, block_rows), np.int64)
        left = np.empty(block_rows, np.bool_)
        for t in range(trees):
            first_node = tree_node_start[t]
            nodes = tree_node_start[t + 1] - first_node
            first_leaf = tree_leaf_start[t]
            if nodes == 0:
                continue
            node_pattern[0, :m] = -1
            for n in range(nodes):
                g = first_node + n
                values = xb[node_feature[g]]
                if node_categorical[g]:
                    start = node_cat_start[g]
                    words = node_cat_words[g]
                    for r in range(m):
                        left[r] = _category_left(values[r], start, words, cat_bits)
                else:
                    threshold = node_threshold[g]
                    nan_left = node_nan_left[g]
                    zero_missing = node_zero_missing[g]
                    default_left = node_default_left[g]
                    for r in range(m):
                        left[r] = _number_left(values[r], threshold, nan_left, zero_missing,
                                               default_left)
                clear = ~(np.int64(1) << node_slot[g])
                child_l = node_left[g]
                child_r = node_right[g]
                target_l = node_pattern if child_l >= 0 else leaf_pattern
                index_l = child_l if child_l >= 0 else ~child_l
                target_r = node_pattern if child_r >= 0 else leaf_pattern
                index_r = child_r if child_r >= 0 else ~child_r
                for r in range(m):
                    kept = node_pattern[n, r]
                    cleared = kept & clear
                    target_l[index_l, r] = kept if left[r] else cleared
                    target_r[index_r, r] = cleared if left[r] else kept
            for leaf in range(tree_leaf_start[t + 1] - first_leaf):
                g = first_leaf + leaf
                slots = leaf_slots[g]
                if slots == 0:
                    continue
                mask = (np.int64(1) << slots) - 1
                start = leaf_table_start[g]
                for k in range(slots):
                    target = ob[leaf_slot_feature[g, k]]
                    for r in range(m):
                        target[r] += tables[start + (leaf_pattern[leaf, r] & mask) * slots + k]
        for r in range(m):
            for j in range(features):
                out[first_row + r, j] = ob[j, r]


@numba.njit(cache=True)
def _explain_few(x, out, node_feature, node_threshold, node_nan_left, node_zero_missing,
                 node_default_left, node_categorical, node_cat_start, node_cat_words, cat_bits,
                 node_slot, node_left, node_right, tree_node_start, tree_leaf_start,
                 leaf_slots, leaf_slot_feature, leaf_table_start, tables, block_rows) -> None:
    """`_explain` one row at a time (same arguments; ``block_rows`` unused), with the same
    decisions and the same order of additions (trees, then leaves, then slots), so that its
    contributions are identical."""
    rows = x.shape[0]
    trees = tree_node_start.size - 1
    max_leaves = _max_leaves(tree_leaf_start)
    node_pattern = np.empty(max_leaves, np.int64)
    leaf_pattern = np.empty(max_leaves, np.int64)
    for r in range(rows):
        for t in range(trees):
            first_node = tree_node_start[t]
            nodes = tree_node_start[t + 1] - first_node
            first_leaf = tree_leaf_start[t]
            if nodes == 0:
                continue
            node_pattern[0] = -1
            for n in range(nodes):
                g = first_node + n
                v = x[r, node_feature[g]]
                if node_categorical[g]:
                    left = _category_left(v, node_cat_start[g], node_cat_words[g], cat_bits)
                else:
                    left = _number_left(v, node_threshold[g], node_nan_left[g],
                                        node_zero_missing[g], node_default_left[g])
                kept = node_pattern[n]
                cleared = kept & ~(np.int64(1) << node_slot[g])
                child_l = node_left[g]
                child_r = node_right[g]
                if child_l >= 0:
                    node_pattern[child_l] = kept if left else cleared
                else:
                    leaf_pattern[~child_l] = kept if left else cleared
                if child_r >= 0:
                    node_pattern[child_r] = cleared if left else kept
                else:
                    leaf_pattern[~child_r] = cleared if left else kept
            for leaf in range(tree_leaf_start[t + 1] - first_leaf):
                g = first_leaf + leaf
                slots = leaf_slots[g]
                if slots == 0:
                    continue
                mask = (np.int64(1) << slots) - 1
                start = leaf_table_start[g] + (leaf_pattern[leaf] & mask) * slots
                for k in range(slots):
                    out[r, leaf_slot_feature[g, k]] += tables[start + k]


@numba.njit(cache=True, parallel=True)
def _leaves(x, out, node_feature, node_threshold, node_decision, node_cat_start,
            node_cat_words, cat_bits, tree_node_start, tree_leaf_start, leaf_path_len,
            leaf_path_node, leaf_path_left) -> None:
    trees = tree_node_start.size - 1
    for r in numba.prange(x.shape[0]):
        for t in range(trees):
            first_node = tree_node_start[t]
            for leaf in range(tree_leaf_start[t], tree_leaf_start[t + 1]):
                reached = True
                for p in range(leaf_path_len[leaf]):
                    g = first_node + leaf_path_node[leaf, p]
                    went = _goes_left(x[r, node_feature[g]], node_threshold[g],
                                      node_decision[g], node_cat_start[g], node_cat_words[g],
                                      cat_bits)
                    if went != leaf_path_left[leaf, p]:
                        reached = False
                        break
                if reached:
                    out[r, t] = leaf - tree_leaf_start[t]
                    break

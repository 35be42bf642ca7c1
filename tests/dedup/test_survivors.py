import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dedup.survivors import choose, components


def test_components_merged_file_by_file_equal_components_of_all_edges(tmp_path):
    rng = np.random.default_rng(0)
    files, edges = [], []
    for k in range(5):
        e = rng.integers(0, 3000, (300, 2)).astype(np.uint64) * np.uint64(7)
        np.save(tmp_path / f"{k}.npy", e)
        files.append(str(tmp_path / f"{k}.npy"))
        edges.append(e)
    np.save(tmp_path / "empty.npy", np.zeros((0, 2), dtype=np.uint64))
    nodes, labels = components(files + [str(tmp_path / "empty.npy")])
    every = np.concatenate(edges)
    ref_nodes, inv = np.unique(every, return_inverse=True)
    inv = inv.reshape(-1, 2)
    graph = coo_matrix((np.ones(len(inv)), (inv[:, 0], inv[:, 1])), shape=(len(ref_nodes),) * 2)
    _, ref = connected_components(graph, directed=False)
    assert np.array_equal(nodes, ref_nodes)
    clusters = len(set(ref.tolist()))
    # the same partition: as many clusters, and label <-> reference cluster one to one (labelling
    # everything 0 would pass the pairing alone)
    assert len(set(labels.tolist())) == clusters > 100
    assert len(set(zip(labels.tolist(), ref.tolist()))) == clusters


def test_components_of_a_small_graph(tmp_path):
    np.save(tmp_path / "a.npy", np.array([[1, 2], [10, 11]], dtype=np.uint64))
    np.save(tmp_path / "b.npy", np.array([[2, 3], [20, 20]], dtype=np.uint64))
    nodes, labels = components([str(tmp_path / "a.npy"), str(tmp_path / "b.npy")])
    by_node = dict(zip(nodes.tolist(), labels.tolist()))
    assert sorted(by_node) == [1, 2, 3, 10, 11, 20]
    assert by_node[1] == by_node[2] == by_node[3] and by_node[10] == by_node[11]
    assert len({by_node[1], by_node[10], by_node[20]}) == 3


def test_choose_orders_by_key_with_missing_values_last():
    df = pl.DataFrame(
        {
            "comp": [0, 0, 0, 1, 1],
            "id": ["b", "a", "c", "e", "d"],
            "quality_score": [None, 0.5, 0.5, None, None],
            "length": [10, 5, 9, 3, 3],
        }
    )
    out = choose(df, ("-quality_score", "-length")).sort("id")
    assert out["keep"].to_list() == [False, False, True, True, False]  # c: best score, then longer; d: id
    assert out["cluster_id"].to_list() == ["a", "a", "a", "d", "d"]
    assert out["cluster_size"].to_list() == [3, 3, 3, 2, 2]

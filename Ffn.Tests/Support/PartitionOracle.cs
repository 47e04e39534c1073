namespace Ffn.Tests.Support;

/// <summary>
/// An independent NumPy/SciPy re-computation of google/ffn's partition semantics, written for these tests (not
/// google/ffn's code): LOM counts by scipy.ndimage 1-D convolutions with ones, values by np.digitize, the mask by
/// a box maximum filter, spheres by squared distances. Also builds small random label volumes to feed it.
/// </summary>
public static class PartitionOracle
{
    public const string Thresholds = "0.025,0.05,0.075,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9";

    /// <summary>Python source defining oracle_partitions(labels, thresholds, radius_xyz, min_size, whitelist, regions_xyzr, mask).</summary>
    public const string Source = """
import numpy as np
from scipy import ndimage as ndi

def oracle_partitions(lab, thresholds, radius_xyz, min_size, whitelist=None, regions_xyzr=(), mask=None):
    rz, ry, rx = [int(v) for v in radius_xyz[::-1]]
    diam = (2 * rz + 1, 2 * ry + 1, 2 * rx + 1)
    fov = diam[0] * diam[1] * diam[2]
    Z, Y, X = lab.shape
    valid = (slice(rz, Z - rz), slice(ry, Y - ry), slice(rx, X - rx))
    ids, counts = np.unique(lab, return_counts=True)
    keep = [i for i, c in zip(ids.tolist(), counts.tolist())
            if i != 0 and c >= min_size and (whitelist is None or i in whitelist)]
    sub = lab[valid]
    out = np.zeros(sub.shape, np.uint8)
    zz, yy, xx = np.meshgrid(np.arange(rz, Z - rz), np.arange(ry, Y - ry), np.arange(rx, X - rx), indexing='ij')
    for x, y, z, r in regions_xyzr:
        out[(xx - x) ** 2 + (yy - y) ** 2 + (zz - z) ** 2 <= r * r] = 255
    if mask is not None:
        out[ndi.maximum_filter((mask != 0).astype(np.uint8), size=diam, mode='constant', cval=0)[valid] > 0] = 255
    for l in keep:
        count = (lab == l).astype(np.int64)
        for axis in range(3):   # a box of ones is separable: three exact 1-D integer convolutions
            count = ndi.convolve1d(count, np.ones(diam[axis], np.int64), axis=axis, mode='constant', cval=0)
        count = count[valid]
        value = (np.digitize(count / fov, thresholds) + 1).astype(np.uint8)
        sel = (sub == l) & (out == 0)
        out[sel] = value[sel]
    full = np.full(lab.shape, 255, np.uint8)
    full[valid] = out
    return full

def random_labels(shape, ids, dtype, seed):
    # Voronoi cells with 0-valued borders, a few 3-voxel specks of dust, and empty corners.
    rng = np.random.default_rng(seed)
    pts = rng.integers(0, shape, size=(len(ids), 3))
    grid = np.indices(shape).reshape(3, -1).T
    d = ((grid[:, None, :] - pts[None, :, :]) ** 2).sum(-1)
    order = np.argsort(d, axis=1)
    near = order[:, 0]
    gap = np.take_along_axis(d, order[:, 1:2], 1)[:, 0] - np.take_along_axis(d, order[:, 0:1], 1)[:, 0]
    lab = np.array(ids, dtype=dtype)[near]
    lab[gap < 3] = 0
    lab = lab.reshape(shape)
    for k in range(3):
        z, y, x = rng.integers(2, np.array(shape) - 3)
        lab[z, y, x:x + 3] = ids[k]
    lab[:2, :2, :] = 0
    return lab
""";

    /// <summary>
    /// Writes <paramref name="path"/> with datasets labels (random, of <paramref name="dtype"/>, the given ids),
    /// mask (uint8, sparse; when <paramref name="withMask"/>) and expected (the oracle's partition map).
    /// </summary>
    public static void MakeCase(string path, string dtype, string ids, int seed, string radiusXyz, long minSize,
        string? whitelist, string? regionsXyzr, bool withMask, string shape = "22,26,30")
    {
        PythonOracle.Run(Source + """

import sys, h5py
path, dtype, ids, seed, radius, min_size, whitelist, regions, with_mask, shape, thresholds = sys.argv[1:12]
ids = [int(v) for v in ids.split(',')]
shape = tuple(int(v) for v in shape.split(','))
lab = random_labels(shape, ids, dtype, int(seed))
wl = None if whitelist == '-' else set(int(v) for v in whitelist.split(','))
rv = [] if regions == '-' else [float(v) for v in regions.split(',')]
regions = [tuple(rv[i:i + 4]) for i in range(0, len(rv), 4)]
mask = None
if with_mask == '1':
    mask = (np.random.default_rng(int(seed) + 1).random(shape) < 0.0015).astype(np.uint8)
expected = oracle_partitions(lab, [float(t) for t in thresholds.split(',')], [int(v) for v in radius.split(',')],
                             int(min_size), wl, regions, mask)
with h5py.File(path, 'w') as f:
    f.create_dataset('labels', data=lab, chunks=(8, 8, 8), compression='gzip')
    f['expected'] = expected
    if mask is not None:
        f['mask'] = mask
""", path, dtype, ids, seed.ToString(), radiusXyz, minSize.ToString(), whitelist ?? "-", regionsXyzr ?? "-",
            withMask ? "1" : "0", shape, Thresholds);
    }
}

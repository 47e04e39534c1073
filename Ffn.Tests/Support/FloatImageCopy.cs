using Ffn.Model.Geometry;

namespace Ffn.Tests.Support;

/// <summary>A float32 copy of an HDF5 image's 'raw' dataset, written by h5py, with chosen voxels set (to NaN or Inf).</summary>
public static class FloatImageCopy
{
    /// <param name="voxels">Positions and Python float literals ("nan", "inf", "-inf", "3.5").</param>
    public static void Write(string sourceH5, string targetH5, params (Vec3i At, string Value)[] voxels) =>
        PythonOracle.Run("""
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], 'r')['raw'][...].astype(np.float32)
for v in sys.argv[3:]:
    z, y, x, value = v.split(',')
    a[int(z), int(y), int(x)] = float(value)
with h5py.File(sys.argv[2], 'w') as f:
    f['raw'] = a
""", [sourceH5, targetH5, .. voxels.Select(v => $"{v.At},{v.Value}")]);
}

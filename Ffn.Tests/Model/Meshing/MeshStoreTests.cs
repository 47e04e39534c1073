using Ffn.Model;
using Ffn.Model.Geometry;
using Ffn.Model.Meshing;
using Ffn.Model.Volumes;
using Ffn.Tests.Support;

namespace Ffn.Tests.Model.Meshing;

/// <summary>
/// A run's mesh cache checked by NumPy and zarr-python: fragments parse back into closed, outward surfaces enclosing
/// the objects' voxel volume within their bounding boxes in nanometres, at level 0 and 1; one build per id however
/// many ask; a rewritten segmentation or another level replaces the cache.
/// </summary>
public class MeshStoreTests
{
    private static string Run(TempDir tmp, Vec3i origin = default)
    {
        var v = new Volume<uint>(new Vec3i(36, 50, 120));
        MeshFixtures.Ball(v, 1, (18, 24, 22), 11.2);
        MeshFixtures.Capsule(v, 2, (6, 8, 40), (30, 42, 116), 4.2);
        MeshFixtures.Ball(v, 3, (30, 40, 10), 3);
        return MeshFixtures.WriteRun(tmp.File("run"), v, new Vec3i(8, 6, 5), new Vec3i(16, 16, 16), origin);
    }

    /// <summary>
    /// From the store alone (zarr-python, the OME metadata, NumPy): per object, the voxel count and bounding box at the
    /// level, and its mesh read with np.frombuffer: closed and consistently oriented, bounds as expected, and for the
    /// larger objects the volume (a radius-3 ball loses over 5% to the cut corners).
    /// </summary>
    private const string Oracle = """
        import sys, json, os, numpy as np, zarr
        from skimage.measure import marching_cubes, mesh_surface_area
        run, level, tol = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
        sized = [int(i) for i in sys.argv[4].split(',')]   # large enough for the volume check
        group = zarr.open_group(os.path.join(run, 'final_result.zarr', 'labels', 'segmentation'), mode='r')
        ds = group.attrs['multiscales'][0]['datasets'][level]
        t = {c['type']: np.array(c[c['type']], float) for c in ds['coordinateTransformations']}
        scale, shift = t['scale'], t.get('translation', np.zeros(3))
        labels = group[ds['path']][...]
        meshes = os.path.join(run, 'meshes')
        assert json.load(open(os.path.join(meshes, 'info'))) == {'@type': 'neuroglancer_legacy_mesh'}
        ids = [int(i) for i in np.unique(labels) if i != 0]
        for i in ids:
            manifest = json.load(open(os.path.join(meshes, f'{i}:0')))
            assert manifest == {'fragments': [f'{i}.frag']}, manifest
            data = open(os.path.join(meshes, manifest['fragments'][0]), 'rb').read()
            nv = int(np.frombuffer(data, '<u4', 1)[0])
            pos = np.frombuffer(data, '<f4', 3 * nv, 4).reshape(-1, 3).astype(np.float64)
            tri = np.frombuffer(data, '<u4', offset=4 + 12 * nv).reshape(-1, 3).astype(np.int64)
            assert (len(data) - 4 - 12 * nv) % 12 == 0 and tri.max() < nv and len(np.unique(tri)) == nv
            # Closed and oriented: every directed side once, and its reverse once.
            sides = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
            code = sides[:, 0] * nv + sides[:, 1]
            assert len(np.unique(code)) == len(code), f'{i}: a side twice the same way round'
            assert np.isin(sides[:, 1] * nv + sides[:, 0], code).all(), f'{i}: a side without its reverse'
            a, b, c = pos[tri[:, 0]] - pos[0], pos[tri[:, 1]] - pos[0], pos[tri[:, 2]] - pos[0]
            volume = np.einsum('ij,ij->i', a, np.cross(b, c)).sum() / 6
            mask = labels == i
            expected = mask.sum() * np.prod(scale)
            assert volume > 0 and (i not in sized or abs(volume / expected - 1) < tol), (i, volume, expected)
            where = np.argwhere(mask)
            lo = scale * (where.min(0) - 0.5) + shift           # z, y, x faces of the box
            hi = scale * (where.max(0) + 0.5) + shift
            assert np.allclose(pos.min(0)[::-1], lo, atol=1e-3) and np.allclose(pos.max(0)[::-1], hi, atol=1e-3), (i, pos.min(0), lo, pos.max(0), hi)
            # scikit-image's marching cubes (Lewiner) on the same mask: the same surface up to how ambiguous cubes are cut.
            sv, sf, _, _ = marching_cubes(np.pad(mask, 1).astype(np.uint8), 0.5, spacing=tuple(scale))
            sa, sb, sc = sv[sf[:, 0]], sv[sf[:, 1]], sv[sf[:, 2]]
            sk_volume = abs(np.einsum('ij,ij->i', sa, np.cross(sb, sc)).sum() / 6)
            area = np.linalg.norm(np.cross(b - a, c - a), axis=1).sum() / 2
            assert i not in sized or abs(volume / sk_volume - 1) < 0.01 and abs(area / mesh_surface_area(sv, sf) - 1) < 0.01, (i, volume, sk_volume, area, mesh_surface_area(sv, sf))
            print(i, nv, len(tri), round(volume / expected - 1, 4), round(volume / sk_volume - 1, 5), round(area / mesh_surface_area(sv, sf) - 1, 5))
        print('ok', len(ids))
        """;

    [Theory]
    [InlineData(0, 0.02)]
    [InlineData(1, 0.06)]
    public void Fragments_parse_back_closed_with_the_voxel_volume_and_bounding_box(int level, double tolerance)
    {
        using var tmp = new TempDir();
        var run = Run(tmp, origin: new Vec3i(3, 0, 7));
        using (var store = MeshStore.Open(run, new MeshOptions(level, Smooth: 0, BlockSize: 16)))
        {
            var sum = store.BuildAll([.. store.Index.Objects.Select(o => o.Id)], null, CancellationToken.None);
            Assert.Equal(3, sum.Built);
            Assert.Equal(1UL, store.Index.Objects[0].Id); // the ball is the largest
        }
        var outp = PythonOracle.Run(Oracle, run, level.ToString(), tolerance.ToString(System.Globalization.CultureInfo.InvariantCulture), "1,2");
        Assert.Contains("ok 3", outp);
    }

    [Fact]
    public void Concurrent_requests_build_once_and_a_new_store_reuses_the_files()
    {
        using var tmp = new TempDir();
        var run = Run(tmp);
        string[] paths;
        using (var store = MeshStore.Open(run, new MeshOptions(BlockSize: 8)))
        {
            paths = new string[8];
            Parallel.For(0, paths.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => paths[i] = store.GetOrBuild(1));
            Assert.Equal(1, store.MeshesBuilt);
            Assert.Single(paths.Distinct());
            Assert.Equal("{\"fragments\": [\"1.frag\"]}\n", store.Manifest(1));
            Assert.Equal(1, store.MeshesBuilt);
        }
        var written = File.GetLastWriteTimeUtc(paths[0]);
        using (var again = MeshStore.Open(run, new MeshOptions(BlockSize: 8)))
        {
            var r = again.Ensure(1);
            Assert.False(r.Built);
            Assert.Equal(new FileInfo(paths[0]).Length, r.Bytes);
            Assert.Equal(0, again.MeshesBuilt);
            Assert.Equal(written, File.GetLastWriteTimeUtc(paths[0]));
            var ex = Assert.Throws<InputException>(() => again.GetOrBuild(4));
            Assert.Contains("object 4: not in", ex.Message);
        }
    }

    [Fact]
    public void A_rewritten_segmentation_or_another_level_or_smoothing_replaces_the_cache()
    {
        using var tmp = new TempDir();
        var run = Run(tmp);
        using (var store = MeshStore.Open(run, new MeshOptions()))
            store.GetOrBuild(3);
        var v = new Volume<uint>(new Vec3i(36, 50, 120));
        MeshFixtures.Ball(v, 3, (10, 10, 10), 5);
        MeshFixtures.WriteRun(run, v, new Vec3i(8, 6, 5), new Vec3i(16, 16, 16));
        using (var store = MeshStore.Open(run, new MeshOptions()))
        {
            Assert.False(File.Exists(store.FragmentPath(3)));
            Assert.Single(store.Index.Objects);
            Assert.True(store.Ensure(3).Built);
        }
        foreach (var options in new[] { new MeshOptions(Level: 1), new MeshOptions(Smooth: 0) })
            using (var store = MeshStore.Open(run, options))
            {
                Assert.False(File.Exists(store.FragmentPath(3)));
                Assert.True(store.Ensure(3).Built);
            }
    }

    [Fact]
    public void A_level_beyond_the_pyramid_or_a_run_without_zarr_is_refused_in_one_line()
    {
        using var tmp = new TempDir();
        var run = Run(tmp);
        var ex = Assert.Throws<InputException>(() => MeshStore.Open(run, new MeshOptions(Level: 5)));
        Assert.Matches(@"^mesh level 5: .* has levels 0 to 3$", ex.Message);
        Directory.CreateDirectory(tmp.File("empty"));
        ex = Assert.Throws<InputException>(() => MeshStore.Open(tmp.File("empty"), new MeshOptions()));
        Assert.Contains("no final_result.zarr segmentation", ex.Message);
    }
}

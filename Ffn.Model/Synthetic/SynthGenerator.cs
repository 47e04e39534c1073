using Ffn.Model.Geometry;
using Ffn.Model.Volumes;

namespace Ffn.Model.Synthetic;

/// <summary>
/// Generates an EM-like volume with ground truth: densely packed neurites (random-walk tubes of varying radius that
/// branch) and a few blob-shaped cell bodies, separated by dark membranes 1-3 voxels thick, with intracellular
/// texture, blur and noise. Objects are made connected (6-connectivity) after the membranes are carved, so every
/// label is one object as in real ground truth. A seed gives the same bytes in every process, on every machine,
/// whatever the thread count (<see cref="SynthRandom"/>, <see cref="StableMath"/>).
/// </summary>
public static class SynthGenerator
{
    private const double CoverageBudget = 1.3;  // summed primitive volume / volume: dense packing after overlaps
    private const byte MembraneLevel = 48;
    private const byte ExtracellularLevel = 112;
    private const int MinComponentVoxels = 150;  // smaller crumbs left by carving become background
    private const float FillReach = 8f;          // objects swell up to this far into gaps, as neuropil is packed
    private const int GapFillSteps = 2;          // then grow one voxel per step into what is still unclaimed

    public static SynthVolume Generate(SynthOptions o, IProgress<string>? progress = null)
    {
        o.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Phase(string what) => progress?.Report($"{what} ({clock.Elapsed.TotalSeconds:F1} s)");
        var shape = o.Shape;
        var rng = new SynthRandom((ulong)(uint)o.Seed);
        var prims = new List<Primitive>();
        int nextLabel = 1;

        double volume = shape.Product;
        double budget = 0;
        int minDim = Math.Min(shape.Z, Math.Min(shape.Y, shape.X));

        // Cell bodies: a few large ellipsoids.
        int blobs = Math.Max(1, (int)Math.Round(volume / (48.0 * 48 * 48) * 0.35));
        double maxBlob = Math.Max(3, Math.Min(16, minDim / 3.0));
        for (int i = 0; i < blobs; i++)
        {
            var c = RandomPoint(rng, shape);
            var r = new D3(Uniform(rng, 0.6, 1) * maxBlob, Uniform(rng, 0.6, 1) * maxBlob, Uniform(rng, 0.6, 1) * maxBlob);
            prims.Add(Primitive.Ellipsoid(c, r, nextLabel++));
            budget += 4.0 / 3 * Math.PI * r.Z * r.Y * r.X;
        }

        // Neurites, until the summed tube volume covers the box densely.
        while (budget < CoverageBudget * volume)
        {
            int label = nextLabel++;
            var start = RandomPoint(rng, shape);
            var dir = RandomUnit(rng);
            double r0 = Uniform(rng, o.MinTubeRadius, o.MaxTubeRadius);
            budget += Grow(prims, rng, o, shape, label, start, dir, r0, 0);
            budget += Grow(prims, rng, o, shape, label, start, dir * -1, r0, 0);
        }

        Phase($"placed {nextLabel - 1} neurons and cells as {prims.Count} primitives");
        var labels = Rasterize(shape, prims);
        for (int k = 0; k < GapFillSteps; k++) FillGaps(labels, shape);
        Phase("rasterized objects");
        var thickness = new LatticeNoise(shape, 12, rng);
        CarveMembranes(labels, shape, thickness);
        Phase("carved membranes");
        int objects = RelabelConnected(labels, shape);
        Phase($"labelled {objects} connected objects");

        var raw = Render(labels, shape, o, rng);
        Phase("rendered image (texture, blur, noise)");
        if (o.EmptySlab)
        {
            int slab = Math.Max(1, shape.Z / 4);
            Array.Clear(raw, 0, (int)((long)slab * shape.Y * shape.X));
            Array.Clear(labels, 0, (int)((long)slab * shape.Y * shape.X));
            objects = RelabelConnected(labels, shape);
        }
        return new SynthVolume(new Volume<byte>(raw, shape), new Volume<uint>(labels, shape), objects);
    }

    private static double Grow(List<Primitive> prims, SynthRandom rng, SynthOptions o, Vec3i shape, int label,
        D3 pos, D3 dir, double r, int depth)
    {
        double added = 0;
        double margin = o.MaxTubeRadius * 2;
        int maxSteps = 4 * Math.Max(shape.Z, Math.Max(shape.Y, shape.X));
        for (int step = 0; step < maxSteps; step++)
        {
            double len = Math.Max(2.0, 1.3 * r);
            dir = (dir + RandomUnit(rng) * 0.35).Normalized();
            double rNext = Math.Clamp(r * StableMath.Exp(rng.Gaussian() * 0.1), o.MinTubeRadius * (depth > 0 ? 0.8 : 1), o.MaxTubeRadius);
            var next = pos + dir * len;
            prims.Add(Primitive.Capsule(pos, next, r, rNext, label));
            added += Math.PI * r * r * len;
            if (next.Z < -margin || next.Y < -margin || next.X < -margin
                || next.Z > shape.Z + margin || next.Y > shape.Y + margin || next.X > shape.X + margin)
                break;
            if (depth < 2 && rng.NextDouble() < 0.04)
            {
                // A branch leaves at 35-75 degrees with a thinner radius and keeps the neuron's label.
                var u = RandomUnit(rng);
                var perp = (u - dir * Dot(u, dir)).Normalized();
                double angle = Uniform(rng, 35, 75) * Math.PI / 180;
                var bdir = (dir * StableMath.Cos(angle) + perp * StableMath.Sin(angle)).Normalized();
                added += Grow(prims, rng, o, shape, label, next, bdir, Math.Max(o.MinTubeRadius * 0.8, rNext * Uniform(rng, 0.5, 0.8)), depth + 1);
            }
            pos = next;
            r = rNext;
        }
        return added;
    }

    /// <summary>Each voxel takes the label of the primitive it lies deepest inside (or nearest, within FillReach); the rest stays 0.</summary>
    private static uint[] Rasterize(Vec3i shape, List<Primitive> prims)
    {
        var labels = new uint[shape.Product];
        const int chunk = 4;
        int chunks = (shape.Z + chunk - 1) / chunk;
        Parallel.For(0, chunks, c =>
        {
            int z0 = c * chunk, z1 = Math.Min(shape.Z, z0 + chunk);
            var best = new float[(long)(z1 - z0) * shape.Y * shape.X];
            Array.Fill(best, FillReach);
            foreach (var p in prims)
            {
                int pz0 = Math.Max(z0, p.Z0), pz1 = Math.Min(z1, p.Z1);
                if (pz0 >= pz1) continue;
                int py0 = Math.Max(0, p.Y0), py1 = Math.Min(shape.Y, p.Y1);
                int px0 = Math.Max(0, p.X0), px1 = Math.Min(shape.X, p.X1);
                if (py0 >= py1 || px0 >= px1) continue;
                for (int z = pz0; z < pz1; z++)
                for (int y = py0; y < py1; y++)
                {
                    long row = ((long)z * shape.Y + y) * shape.X;
                    long brow = ((long)(z - z0) * shape.Y + y) * shape.X;
                    p.ScoreRow(z, y, px0, px1, best.AsSpan((int)(brow + px0), px1 - px0),
                        labels.AsSpan((int)(row + px0), px1 - px0));
                }
            }
        });
        return labels;
    }

    /// <summary>Unclaimed voxels take the smallest label among their 6 neighbours (one step of growth).</summary>
    private static void FillGaps(uint[] labels, Vec3i shape)
    {
        var src = (uint[])labels.Clone();
        int sy = shape.X, sz = shape.Y * shape.X;
        Parallel.For(0, shape.Z, z =>
        {
            for (int y = 0; y < shape.Y; y++)
            for (int x = 0; x < shape.X; x++)
            {
                long i = (long)z * sz + (long)y * sy + x;
                if (src[i] != 0) continue;
                uint best = uint.MaxValue;
                void Take(long j) { uint m = src[j]; if (m != 0 && m < best) best = m; }
                if (x > 0) Take(i - 1);
                if (x < shape.X - 1) Take(i + 1);
                if (y > 0) Take(i - sy);
                if (y < shape.Y - 1) Take(i + sy);
                if (z > 0) Take(i - sz);
                if (z < shape.Z - 1) Take(i + sz);
                if (best != uint.MaxValue) labels[i] = best;
            }
        });
    }

    /// <summary>
    /// Turns object borders into membrane (label 0). A smooth noise field picks the thickness: one-sided borders
    /// (1 voxel), both sides (2 voxels), or both sides dilated once more (3 voxels).
    /// </summary>
    private static void CarveMembranes(uint[] labels, Vec3i shape, LatticeNoise thickness)
    {
        var mark = new byte[labels.Length];
        int sy = shape.X, sz = shape.Y * shape.X;
        Parallel.For(0, shape.Z, z =>
        {
            for (int y = 0; y < shape.Y; y++)
            for (int x = 0; x < shape.X; x++)
            {
                long i = (long)z * sz + (long)y * sy + x;
                uint l = labels[i];
                if (l == 0) continue;
                bool oneSided = thickness.Sample(z, y, x) < -0.25;
                if (Differs(labels, i, l, z, y, x, shape, oneSided)) mark[i] = 1;
            }
        });
        // Thick regions: the side with the larger label grows one more voxel, making 2 + 1 = 3.
        var thick = new byte[labels.Length];
        Parallel.For(0, shape.Z, z =>
        {
            for (int y = 0; y < shape.Y; y++)
            for (int x = 0; x < shape.X; x++)
            {
                long i = (long)z * sz + (long)y * sy + x;
                uint l = labels[i];
                if (mark[i] != 0 || l == 0 || thickness.Sample(z, y, x) < 0.3) continue;
                bool Grow(long d1, long d2) => mark[d1] != 0 && labels[d1] == l && labels[d2] != l && labels[d2] < l;
                if ((x > 1 && Grow(i - 1, i - 2)) || (x < shape.X - 2 && Grow(i + 1, i + 2))
                    || (y > 1 && Grow(i - sy, i - 2 * sy)) || (y < shape.Y - 2 && Grow(i + sy, i + 2 * sy))
                    || (z > 1 && Grow(i - sz, i - 2 * sz)) || (z < shape.Z - 2 && Grow(i + sz, i + 2 * sz)))
                    thick[i] = 1;
            }
        });
        for (long i = 0; i < labels.LongLength; i++)
            if (mark[i] != 0 || thick[i] != 0) labels[i] = 0;
    }

    private static bool Differs(uint[] labels, long i, uint l, int z, int y, int x, Vec3i shape, bool oneSided)
    {
        int sy = shape.X, sz = shape.Y * shape.X;
        // One-sided: only the voxel with the larger label is marked, so the membrane is a single voxel thick.
        bool D(long j) { uint m = labels[j]; return m != l && (!oneSided || m < l); }
        return (x > 0 && D(i - 1)) || (x < shape.X - 1 && D(i + 1))
            || (y > 0 && D(i - sy)) || (y < shape.Y - 1 && D(i + sy))
            || (z > 0 && D(i - sz)) || (z < shape.Z - 1 && D(i + sz));
    }

    /// <summary>Gives every 6-connected component of equal label its own id (1.. in scan order); crumbs become 0.</summary>
    private static int RelabelConnected(uint[] labels, Vec3i shape)
    {
        var outLabels = new uint[labels.Length];
        var visited = new bool[labels.Length];
        var queue = new List<long>();
        int sy = shape.X, sz = shape.Y * shape.X;
        uint next = 0;
        for (long s = 0; s < labels.LongLength; s++)
        {
            if (visited[s] || labels[s] == 0) continue;
            uint l = labels[s];
            queue.Clear();
            queue.Add(s);
            visited[s] = true;
            for (int head = 0; head < queue.Count; head++)
            {
                long i = queue[head];
                int z = (int)(i / sz), y = (int)(i % sz / sy), x = (int)(i % sy);
                void Visit(long j) { if (!visited[j] && labels[j] == l) { visited[j] = true; queue.Add(j); } }
                if (x > 0) Visit(i - 1);
                if (x < shape.X - 1) Visit(i + 1);
                if (y > 0) Visit(i - sy);
                if (y < shape.Y - 1) Visit(i + sy);
                if (z > 0) Visit(i - sz);
                if (z < shape.Z - 1) Visit(i + sz);
            }
            if (queue.Count < MinComponentVoxels) continue;
            next++;
            foreach (var i in queue) outLabels[i] = next;
        }
        Array.Copy(outLabels, labels, labels.Length);
        return (int)next;
    }

    private static byte[] Render(uint[] labels, Vec3i shape, SynthOptions o, SynthRandom rng)
    {
        var coarse = new LatticeNoise(shape, 7, rng);
        var fine = new LatticeNoise(shape, 2.5, rng);
        var dots = new LatticeNoise(shape, 1.5, rng);
        int seed = rng.NextInt();
        var img = new float[labels.Length];
        int sz = shape.Y * shape.X;
        Parallel.For(0, shape.Z, z =>
        {
            for (int y = 0; y < shape.Y; y++)
            for (int x = 0; x < shape.X; x++)
            {
                long i = (long)z * sz + (long)y * shape.X + x;
                uint l = labels[i];
                float v;
                if (l == 0)
                {
                    // Label 0 is membrane where an object is next to it, extracellular space elsewhere.
                    v = NextToObject(labels, i, z, y, x, shape) ? MembraneLevel : ExtracellularLevel;
                    v += 6 * coarse.Sample(z, y, x);
                }
                else
                {
                    float baseLevel = 150 + 55 * Hash01(l, seed);
                    v = baseLevel + 12 * coarse.Sample(z, y, x) + 8 * fine.Sample(z, y, x);
                    // Sparse dark granules (vesicles, organelles) so interiors are not flat.
                    float d = dots.Sample(z, y, x);
                    if (d > 0.75f) v -= 90 * (d - 0.75f);
                }
                img[i] = v;
            }
        });
        if (o.Blur > 0) GaussianBlur(img, shape, o.Blur);
        var raw = new byte[labels.Length];
        Parallel.For(0, shape.Z, z =>
        {
            var r = SynthRandom.For(o.Seed, 0x5eed, z);
            for (long i = (long)z * sz; i < (long)(z + 1) * sz; i++)
                raw[i] = (byte)Math.Clamp(Math.Round(img[i] + o.Noise * r.Gaussian()), 1, 255);
        });
        return raw;
    }

    private static bool NextToObject(uint[] labels, long i, int z, int y, int x, Vec3i shape)
    {
        int sy = shape.X, sz = shape.Y * shape.X;
        return (x > 0 && labels[i - 1] != 0) || (x < shape.X - 1 && labels[i + 1] != 0)
            || (y > 0 && labels[i - sy] != 0) || (y < shape.Y - 1 && labels[i + sy] != 0)
            || (z > 0 && labels[i - sz] != 0) || (z < shape.Z - 1 && labels[i + sz] != 0);
    }

    private static void GaussianBlur(float[] img, Vec3i shape, double sigma)
    {
        int rad = (int)Math.Ceiling(3 * sigma);
        var k = new float[2 * rad + 1];
        double sum = 0;
        for (int i = -rad; i <= rad; i++) sum += k[i + rad] = (float)StableMath.Exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.Length; i++) k[i] = (float)(k[i] / sum);
        int[] dims = [shape.Z, shape.Y, shape.X];
        long[] strides = [(long)shape.Y * shape.X, shape.X, 1];
        for (int axis = 0; axis < 3; axis++)
        {
            int n = dims[axis];
            long stride = strides[axis];
            long lines = img.LongLength / n;
            var src = (float[])img.Clone();
            Parallel.For(0, (int)lines, line =>
            {
                // Start of this line: enumerate all index combos with the axis coordinate fixed at 0.
                long start = axis switch
                {
                    0 => line,
                    1 => (long)(line / shape.X) * shape.Y * shape.X + line % shape.X,
                    _ => (long)line * shape.X,
                };
                for (int t = 0; t < n; t++)
                {
                    float acc = 0;
                    for (int j = -rad; j <= rad; j++)
                    {
                        int u = Math.Clamp(t + j, 0, n - 1); // edge samples repeated (nearest)
                        acc += k[j + rad] * src[start + u * stride];
                    }
                    img[start + t * stride] = acc;
                }
            });
        }
    }

    private static float Hash01(uint v, int seed)
    {
        uint h = (uint)SynthRandom.Mix(((ulong)v << 32) | (uint)seed);
        return (h & 0xFFFFFF) / (float)0x1000000;
    }

    private static D3 RandomPoint(SynthRandom rng, Vec3i s) =>
        new(rng.NextDouble() * s.Z, rng.NextDouble() * s.Y, rng.NextDouble() * s.X);

    private static D3 RandomUnit(SynthRandom rng)
    {
        while (true)
        {
            var v = new D3(rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1);
            double n = v.Norm;
            if (n > 1e-3 && n <= 1) return v * (1 / n);
        }
    }

    private static double Uniform(SynthRandom rng, double a, double b) => a + (b - a) * rng.NextDouble();

    private static double Dot(D3 a, D3 b) => a.Z * b.Z + a.Y * b.Y + a.X * b.X;

    internal readonly record struct D3(double Z, double Y, double X)
    {
        public double Norm => Math.Sqrt(Z * Z + Y * Y + X * X);
        public D3 Normalized() => this * (1 / Math.Max(Norm, 1e-12));
        public static D3 operator +(D3 a, D3 b) => new(a.Z + b.Z, a.Y + b.Y, a.X + b.X);
        public static D3 operator -(D3 a, D3 b) => new(a.Z - b.Z, a.Y - b.Y, a.X - b.X);
        public static D3 operator *(D3 a, double k) => new(a.Z * k, a.Y * k, a.X * k);
    }

    /// <summary>A tapered capsule (tube segment) or an axis-aligned ellipsoid, with its voxel bounding box.</summary>
    private sealed class Primitive
    {
        private D3 _a, _b, _r;
        private double _ra, _rb, _len2;
        private bool _ellipsoid;
        public int Label, Z0, Z1, Y0, Y1, X0, X1;

        public static Primitive Capsule(D3 a, D3 b, double ra, double rb, int label)
        {
            var p = new Primitive { _a = a, _b = b, _ra = ra, _rb = rb, Label = label };
            var d = b - a;
            p._len2 = Dot(d, d);
            double r = Math.Max(ra, rb) + 1;
            p.SetBox(Math.Min(a.Z, b.Z) - r, Math.Max(a.Z, b.Z) + r, Math.Min(a.Y, b.Y) - r, Math.Max(a.Y, b.Y) + r,
                Math.Min(a.X, b.X) - r, Math.Max(a.X, b.X) + r);
            return p;
        }

        public static Primitive Ellipsoid(D3 c, D3 r, int label)
        {
            var p = new Primitive { _a = c, _r = r, _ellipsoid = true, Label = label };
            p.SetBox(c.Z - r.Z - 1, c.Z + r.Z + 1, c.Y - r.Y - 1, c.Y + r.Y + 1, c.X - r.X - 1, c.X + r.X + 1);
            return p;
        }

        private void SetBox(double z0, double z1, double y0, double y1, double x0, double x1)
        {
            Z0 = (int)Math.Floor(z0); Z1 = (int)Math.Ceiling(z1) + 1;
            Y0 = (int)Math.Floor(y0); Y1 = (int)Math.Ceiling(y1) + 1;
            X0 = (int)Math.Floor(x0); X1 = (int)Math.Ceiling(x1) + 1;
        }

        /// <summary>
        /// Scores one row of voxels (negative inside: how deep below the surface) and claims those where this
        /// primitive beats the best so far; ties go to the smaller label so the result does not depend on order.
        /// </summary>
        public void ScoreRow(int z, int y, int x0, int x1, Span<float> best, Span<uint> labels)
        {
            if (_ellipsoid)
            {
                float qz = (float)((z - _a.Z) / _r.Z), qy = (float)((y - _a.Y) / _r.Y);
                float rx = (float)_r.X, scale = (float)((_r.Z + _r.Y + _r.X) / 3);
                for (int x = x0; x < x1; x++)
                {
                    float qx = (float)(x - _a.X) / rx;
                    float s = (MathF.Sqrt(qz * qz + qy * qy + qx * qx) - 1) * scale;
                    Claim(s, x - x0, best, labels);
                }
                return;
            }
            float dz = (float)(_b.Z - _a.Z), dy = (float)(_b.Y - _a.Y), dx = (float)(_b.X - _a.X);
            float pz = (float)(z - _a.Z), py = (float)(y - _a.Y);
            float inv = _len2 > 0 ? (float)(1 / _len2) : 0, ra = (float)_ra, dr = (float)(_rb - _ra);
            float reach = (float)Math.Max(_ra, _rb) + FillReach, reach2 = reach * reach;
            float baseDot = pz * dz + py * dy;
            for (int x = x0; x < x1; x++)
            {
                float px = (float)(x - _a.X);
                float t = Math.Clamp((baseDot + px * dx) * inv, 0f, 1f);
                float ez = pz - t * dz, ey = py - t * dy, ex = px - t * dx;
                float d2 = ez * ez + ey * ey + ex * ex;
                if (d2 >= reach2) continue; // far outside: skip the square root
                Claim(MathF.Sqrt(d2) - (ra + t * dr), x - x0, best, labels);
            }
        }

        private void Claim(float s, int i, Span<float> best, Span<uint> labels)
        {
            float cur = best[i];
            if (s < cur || (s == cur && s < FillReach && (uint)Label < labels[i]))
            {
                best[i] = s;
                labels[i] = (uint)Label;
            }
        }
    }
}

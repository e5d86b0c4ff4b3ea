using System.Diagnostics;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace RtrCache.Testbed;

/// <summary>
/// The RSA-2048 key material of the testbed: a pool of 1024-bit primes kept on disk, from which keys are
/// formed as products of two distinct pool primes. <c>n</c> primes give <c>n(n-1)/2</c> distinct RSA-2048
/// keys, so the ~450,000 keys of the global shape need fewer than 1,000 primes (about a minute of work,
/// once) instead of ~450,000 key generations (many hours on two cores).
/// </summary>
/// <remarks>
/// <para>Every key is a well-formed RSA key as RFC 7935 asks (2048-bit modulus, exponent 65537, e coprime to
/// p-1 and q-1), every modulus and therefore every SKI is distinct. Keys share prime factors with each other,
/// which makes them worthless for anything but test data (a batch GCD factors them all) and is invisible to
/// a relying party.</para>
/// <para>Prime <c>i</c> is a pure function of <c>i</c> (a SHA-256 DRBG seeded with the index), so the pool file
/// is only a cache: deleting it changes nothing but the time of the next run, and two machines produce
/// byte-identical repositories. Growing the pool is done in parallel on all cores, under a file lock so that
/// concurrent test processes share the work.</para>
/// </remarks>
public sealed class KeyPool
{
    public const int PrimeBytes = 128;
    private const string FileName = "primes-v1.bin";
    private static readonly BigInteger E = BigInteger.ValueOf(65537);

    private readonly object _gate = new();
    private BigInteger[] _primes = [];

    public string Directory { get; }

    /// <summary>Primes currently held (in memory, equal to the file).</summary>
    public int PrimeCount => _primes.Length;

    /// <summary>Keys the current pool can form.</summary>
    public long KeyCapacity => KeysFor(_primes.Length);

    /// <summary>Time spent generating primes by this instance (wall clock).</summary>
    public TimeSpan GenerationTime { get; private set; }

    /// <summary>Primes generated (not loaded) by this instance.</summary>
    public int PrimesGenerated { get; private set; }

    private KeyPool(string directory) => Directory = directory;

    /// <summary>The testbed's cache root: <c>$RTRCACHE_TESTBED_CACHE</c>, else <c>$TMPDIR/rtrcache-testbed</c>.</summary>
    public static string DefaultCacheRoot
        => Environment.GetEnvironmentVariable("RTRCACHE_TESTBED_CACHE") is { Length: > 0 } d
            ? d
            : Path.Combine(Path.GetTempPath(), "rtrcache-testbed");

    private static readonly Dictionary<string, KeyPool> Open = [];

    /// <summary>Opens (and loads) the pool in <paramref name="directory"/> (default: <c>CACHE_ROOT/keys</c>); one instance per directory per process.</summary>
    public static KeyPool OpenPool(string? directory = null)
    {
        directory = Path.GetFullPath(directory ?? Path.Combine(DefaultCacheRoot, "keys"));
        lock (Open)
        {
            if (!Open.TryGetValue(directory, out var pool))
            {
                System.IO.Directory.CreateDirectory(directory);
                pool = new KeyPool(directory);
                pool.Load();
                Open[directory] = pool;
            }
            return pool;
        }
    }

    public static long KeysFor(int primes) => (long)primes * (primes - 1) / 2;

    public static int PrimesFor(long keys)
    {
        int n = 2;
        while (KeysFor(n) < keys) n++;
        return n;
    }

    /// <summary>Makes sure <paramref name="keys"/> keys can be formed, generating and saving primes if needed.</summary>
    public void EnsureKeys(long keys) => EnsurePrimes(PrimesFor(Math.Max(1, keys)));

    public void EnsurePrimes(int count)
    {
        lock (_gate)
        {
            if (_primes.Length >= count) return;
            using var fileLock = AcquireFileLock();
            Load(); // another process may have grown it meanwhile
            if (_primes.Length >= count) return;
            var sw = Stopwatch.StartNew();
            var fresh = new BigInteger[count - _primes.Length];
            int start = _primes.Length;
            Parallel.For(0, fresh.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                i => fresh[i] = GeneratePrime(start + i));
            var all = _primes.Concat(fresh).ToArray();
            Save(all);
            _primes = all;
            PrimesGenerated += fresh.Length;
            GenerationTime += sw.Elapsed;
        }
    }

    /// <summary>Key number <paramref name="index"/> (0-based): the product of a fixed pair of pool primes.</summary>
    public RsaKey GetKey(long index)
    {
        EnsureKeys(index + 1);
        // index -> (i, j), j < i, enumerating pairs (1,0), (2,0), (2,1), (3,0), ...
        int i = (int)((1 + Math.Sqrt(1 + 8.0 * index)) / 2);
        while (KeysFor(i) > index) i--;
        while (KeysFor(i + 1) <= index) i++;
        int j = (int)(index - KeysFor(i));
        var primes = _primes;
        return new RsaKey(index, primes[i], primes[j]);
    }

    /// <summary>The deterministic prime number <paramref name="index"/>: 1024 bits, top two bits set, p mod 65537 != 1.</summary>
    public static BigInteger GeneratePrime(int index)
    {
        var drbg = new DigestRandomGenerator(new Sha256Digest());
        drbg.AddSeedMaterial(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes($"rtrcache-testbed prime v1 #{index}")));
        var random = new SecureRandom(drbg);
        var bytes = new byte[PrimeBytes];
        random.NextBytes(bytes);
        bytes[0] |= 0xC0; // top two bits: the product of two such primes has exactly 2048 bits
        bytes[^1] |= 0x01;
        var candidate = new BigInteger(1, bytes);
        while (true)
        {
            candidate = candidate.IsProbablePrime(64) ? candidate : candidate.NextProbablePrime();
            if (!candidate.Mod(E).Equals(BigInteger.One) && candidate.BitLength == 1024) return candidate;
            candidate = candidate.Add(BigInteger.Two);
        }
    }

    private void Load()
    {
        var path = Path.Combine(Directory, FileName);
        if (!File.Exists(path)) return;
        var data = File.ReadAllBytes(path);
        int n = data.Length / PrimeBytes;
        if (n <= _primes.Length) return;
        var primes = new BigInteger[n];
        for (int i = 0; i < n; i++)
            primes[i] = i < _primes.Length ? _primes[i] : new BigInteger(1, data, i * PrimeBytes, PrimeBytes);
        _primes = primes;
    }

    private void Save(BigInteger[] primes)
    {
        var data = new byte[primes.Length * PrimeBytes];
        for (int i = 0; i < primes.Length; i++)
        {
            var b = primes[i].ToByteArrayUnsigned();
            b.CopyTo(data, i * PrimeBytes + PrimeBytes - b.Length);
        }
        var path = Path.Combine(Directory, FileName);
        var tmp = path + "." + Environment.ProcessId + ".tmp";
        File.WriteAllBytes(tmp, data);
        File.Move(tmp, path, overwrite: true);
    }

    private FileStream AcquireFileLock()
    {
        var path = Path.Combine(Directory, ".lock");
        var deadline = DateTime.UtcNow.AddMinutes(30);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }

    /// <summary>
    /// Measures conventional RSA-2048 key generation (OpenSSL through .NET, and BouncyCastle) and the pool's
    /// prime and key-derivation rates on this machine, in parallel on all cores for <paramref name="duration"/> each.
    /// </summary>
    public static KeyGenerationSpeed MeasureSpeed(TimeSpan duration)
    {
        double Rate(Action action)
        {
            long count = 0;
            var sw = Stopwatch.StartNew();
            Parallel.For(0, Environment.ProcessorCount, _ =>
            {
                while (sw.Elapsed < duration)
                {
                    action();
                    Interlocked.Increment(ref count);
                }
            });
            return count / sw.Elapsed.TotalSeconds;
        }
        var openSsl = Rate(() => { using var rsa = RSA.Create(2048); rsa.ExportParameters(true); });
        var bc = Rate(() =>
        {
            var g = new Org.BouncyCastle.Crypto.Generators.RsaKeyPairGenerator();
            g.Init(new Org.BouncyCastle.Crypto.Parameters.RsaKeyGenerationParameters(E, new SecureRandom(), 2048, 64));
            g.GenerateKeyPair();
        });
        int next = 1_000_000;
        var primes = Rate(() => GeneratePrime(Interlocked.Increment(ref next)));
        var p = GeneratePrime(1);
        var q = GeneratePrime(2);
        long k = 0;
        var derive = Rate(() => { var key = new RsaKey(Interlocked.Increment(ref k), p, q); key.Sign([1, 2, 3]); key.Dispose(); });
        return new KeyGenerationSpeed(openSsl, bc, primes, derive, Environment.ProcessorCount);
    }
}

/// <summary>Rates in items per second, all cores busy.</summary>
public sealed record KeyGenerationSpeed(double OpenSslRsa2048KeysPerSecond, double BouncyCastleRsa2048KeysPerSecond,
    double PoolPrimesPerSecond, double PoolKeyDeriveAndFirstSignPerSecond, int Cores)
{
    public override string ToString()
        => $"{Cores} cores: RSA-2048 keygen OpenSSL {OpenSslRsa2048KeysPerSecond:F1}/s, BouncyCastle {BouncyCastleRsa2048KeysPerSecond:F1}/s; " +
           $"pool primes {PoolPrimesPerSecond:F1}/s; pool key derivation + first signature {PoolKeyDeriveAndFirstSignPerSecond:F0}/s";
}

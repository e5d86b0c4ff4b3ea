using RtrCache.Rpki.Crypto;

namespace RtrCache.Rpki.Tests;

/// <summary>Runs a check once on the native (libcrypto) RSA path and once on the managed one; for non-parallel fixtures only (the switch is process-wide).</summary>
internal static class RsaModes
{
    public static void InBoth(Action check)
    {
        bool saved = RsaVerifier.ForceManaged;
        try
        {
            foreach (bool managed in new[] { false, true })
            {
                RsaVerifier.ForceManaged = managed;
                check();
            }
        }
        finally
        {
            RsaVerifier.ForceManaged = saved;
        }
    }
}

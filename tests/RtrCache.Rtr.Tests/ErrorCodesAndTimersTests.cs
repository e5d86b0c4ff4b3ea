using RtrCache.Rtr.Protocol;

namespace RtrCache.Rtr.Tests;

/// <summary>rtr.md §5: codes 0–7 exist in v0, 0–8 in v1, 0–13 in v2.</summary>
[TestFixture]
public class ErrorCodesTests
{
    [TestCase((byte)0, (ushort)7)]
    [TestCase((byte)1, (ushort)8)]
    [TestCase((byte)2, (ushort)13)]
    public void HighestFor(byte version, ushort highest)
        => Assert.That((ushort)ErrorCodes.HighestFor(version), Is.EqualTo(highest));

    [Test]
    public void EnumValues_MatchSpecTable()
    {
        Assert.That((ushort)ErrorCode.CorruptData, Is.EqualTo(0));
        Assert.That((ushort)ErrorCode.InternalError, Is.EqualTo(1));
        Assert.That((ushort)ErrorCode.NoDataAvailable, Is.EqualTo(2));
        Assert.That((ushort)ErrorCode.InvalidRequest, Is.EqualTo(3));
        Assert.That((ushort)ErrorCode.UnsupportedProtocolVersion, Is.EqualTo(4));
        Assert.That((ushort)ErrorCode.UnsupportedPduType, Is.EqualTo(5));
        Assert.That((ushort)ErrorCode.WithdrawalOfUnknownRecord, Is.EqualTo(6));
        Assert.That((ushort)ErrorCode.DuplicateAnnouncementReceived, Is.EqualTo(7));
        Assert.That((ushort)ErrorCode.UnexpectedProtocolVersion, Is.EqualTo(8));
        Assert.That((ushort)ErrorCode.AspaProviderListError, Is.EqualTo(9));
        Assert.That((ushort)ErrorCode.TransportFailure, Is.EqualTo(10));
        Assert.That((ushort)ErrorCode.OrderingError, Is.EqualTo(11));
        Assert.That((ushort)ErrorCode.CacheRestart, Is.EqualTo(12));
        Assert.That((ushort)ErrorCode.CacheShutdown, Is.EqualTo(13));
    }

    private static IEnumerable<TestCaseData> AllCodesAllVersions()
    {
        foreach (byte v in new byte[] { 0, 1, 2 })
            for (ushort code = 0; code <= 13; code++)
            {
                int highest = v switch { 0 => 7, 1 => 8, _ => 13 };
                yield return new TestCaseData(v, code, code <= highest).SetName($"Code{code}_v{v}");
            }
    }

    [TestCaseSource(nameof(AllCodesAllVersions))]
    public void IsDefinedIn_And_ForVersion(byte version, ushort code, bool defined)
    {
        var c = (ErrorCode)code;
        Assert.That(ErrorCodes.IsDefinedIn(c, version), Is.EqualTo(defined));
        var sent = ErrorCodes.ForVersion(c, version);
        Assert.That(sent, Is.EqualTo(defined ? c : ErrorCode.CorruptData));
        Assert.That(ErrorCodes.IsDefinedIn(sent, version), Is.True, "the code sent always exists in the session's version");
    }

    [TestCase(ErrorCode.NoDataAvailable, false)]
    [TestCase(ErrorCode.UnsupportedProtocolVersion, false)]
    [TestCase(ErrorCode.CacheRestart, false)]
    [TestCase(ErrorCode.CorruptData, true)]
    [TestCase(ErrorCode.InternalError, true)]
    [TestCase(ErrorCode.InvalidRequest, true)]
    [TestCase(ErrorCode.UnsupportedPduType, true)]
    [TestCase(ErrorCode.WithdrawalOfUnknownRecord, true)]
    [TestCase(ErrorCode.DuplicateAnnouncementReceived, true)]
    [TestCase(ErrorCode.UnexpectedProtocolVersion, true)]
    [TestCase(ErrorCode.AspaProviderListError, true)]
    [TestCase(ErrorCode.TransportFailure, true)]
    [TestCase(ErrorCode.OrderingError, true)]
    [TestCase(ErrorCode.CacheShutdown, true)]
    public void IsFatal_MatchesSpecTable(ErrorCode code, bool fatal)
        => Assert.That(ErrorCodes.IsFatal(code), Is.EqualTo(fatal));

    [Test]
    public void PduErrorKinds_MapPerVersion()
    {
        (PduErrorKind Kind, ErrorCode V0, ErrorCode V1, ErrorCode V2)[] table =
        [
            (PduErrorKind.UnsupportedVersion, ErrorCode.UnsupportedProtocolVersion, ErrorCode.UnsupportedProtocolVersion, ErrorCode.UnsupportedProtocolVersion),
            (PduErrorKind.UnsupportedPduType, ErrorCode.UnsupportedPduType, ErrorCode.UnsupportedPduType, ErrorCode.UnsupportedPduType),
            (PduErrorKind.InvalidLength, ErrorCode.CorruptData, ErrorCode.CorruptData, ErrorCode.CorruptData),
            (PduErrorKind.InvalidField, ErrorCode.CorruptData, ErrorCode.CorruptData, ErrorCode.CorruptData),
            (PduErrorKind.AspaProviderList, ErrorCode.CorruptData, ErrorCode.CorruptData, ErrorCode.AspaProviderListError),
        ];
        foreach (var (kind, v0, v1, v2) in table)
        {
            var e = new PduDecodeError(kind, "x", [1, 2, 3, 4, 5, 6, 7, 8]);
            Assert.That(e.ToErrorCode(0), Is.EqualTo(v0), $"{kind} v0");
            Assert.That(e.ToErrorCode(1), Is.EqualTo(v1), $"{kind} v1");
            Assert.That(e.ToErrorCode(2), Is.EqualTo(v2), $"{kind} v2");
        }
    }
}

/// <summary>rtr.md §9: refresh 1–86,400, retry 1–7,200, expire 600–172,800, and expire &gt; refresh and &gt; retry.</summary>
[TestFixture]
public class RtrTimersTests
{
    [Test]
    public void Default_Is3600_600_7200_AndValid()
    {
        Assert.That(RtrTimers.Default, Is.EqualTo(new RtrTimers(3600, 600, 7200)));
        Assert.That(RtrTimers.Default.IsValid(out var error), Is.True);
        Assert.That(error, Is.Null);
    }

    [Test]
    public void Constants_MatchSpec()
    {
        Assert.That(RtrTimers.MinRefresh, Is.EqualTo(1u));
        Assert.That(RtrTimers.MaxRefresh, Is.EqualTo(86400u));
        Assert.That(RtrTimers.MinRetry, Is.EqualTo(1u));
        Assert.That(RtrTimers.MaxRetry, Is.EqualTo(7200u));
        Assert.That(RtrTimers.MinExpire, Is.EqualTo(600u));
        Assert.That(RtrTimers.MaxExpire, Is.EqualTo(172800u));
    }

    [TestCase(1u, 1u, 600u)]
    [TestCase(599u, 599u, 600u)]
    [TestCase(86400u, 7200u, 86401u)]
    [TestCase(86400u, 7200u, 172800u)]
    [TestCase(1u, 7200u, 7201u)]
    [TestCase(3600u, 600u, 3601u)]
    [TestCase(60u, 60u, 172800u)]
    public void Valid(uint refresh, uint retry, uint expire)
    {
        Assert.That(RtrTimers.TryValidate(refresh, retry, expire, out var error), Is.True, () => error ?? "");
        Assert.That(error, Is.Null);
        Assert.That(new RtrTimers(refresh, retry, expire).IsValid(out _), Is.True);
    }

    [TestCase(0u, 600u, 7200u, TestName = "Refresh0")]
    [TestCase(86401u, 600u, 172800u, TestName = "Refresh86401")]
    [TestCase(3600u, 0u, 7200u, TestName = "Retry0")]
    [TestCase(3600u, 7201u, 172800u, TestName = "Retry7201")]
    [TestCase(1u, 1u, 599u, TestName = "Expire599")]
    [TestCase(1u, 1u, 0u, TestName = "Expire0")]
    [TestCase(3600u, 600u, 172801u, TestName = "Expire172801")]
    [TestCase(3600u, 600u, 3600u, TestName = "ExpireEqualsRefresh")]
    [TestCase(7200u, 600u, 3600u, TestName = "ExpireBelowRefresh")]
    [TestCase(600u, 7200u, 7200u, TestName = "ExpireEqualsRetry")]
    [TestCase(600u, 7200u, 7000u, TestName = "ExpireBelowRetry")]
    [TestCase(86400u, 600u, 86400u, TestName = "ExpireEqualsMaxRefresh")]
    [TestCase(600u, 600u, 600u, TestName = "AllEqual600")]
    [TestCase(uint.MaxValue, uint.MaxValue, uint.MaxValue, TestName = "AllMax")]
    public void Invalid(uint refresh, uint retry, uint expire)
    {
        Assert.That(RtrTimers.TryValidate(refresh, retry, expire, out var error), Is.False);
        Assert.That(error, Is.Not.Null.And.Not.Empty);
        Assert.That(new RtrTimers(refresh, retry, expire).IsValid(out var e2), Is.False);
        Assert.That(e2, Is.EqualTo(error));
    }
}

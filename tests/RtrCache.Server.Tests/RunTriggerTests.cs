using Microsoft.Extensions.Logging.Abstractions;
using RtrCache.Host.Serving;

namespace RtrCache.Server.Tests;

/// <summary>
/// Run requests (SIGUSR1, SIGHUP, POST /api/v1/refresh) are never lost: one that arrives while a round runs
/// leaves the trigger pending, so the loop starts one more round; several pending requests make one round,
/// forced when any of them asked for it.
/// </summary>
public sealed class RunTriggerTests
{
    [Test]
    public void A_request_stays_pending_until_taken()
    {
        using var trigger = new RunTrigger(NullLogger<RunTrigger>.Instance);
        Assert.That(trigger.Requested.IsCompleted, Is.False);
        trigger.Request("test", force: false);
        Assert.That(trigger.Requested.IsCompleted, Is.True, "pending before anyone waits for it");
        Assert.That(trigger.Take(), Is.False);
        Assert.That(trigger.Requested.IsCompleted, Is.False, "taken");
    }

    [Test]
    public void A_request_during_a_round_starts_one_more()
    {
        using var trigger = new RunTrigger(NullLogger<RunTrigger>.Instance);
        trigger.Request("first", force: false);
        var first = trigger.Requested;
        _ = trigger.Take(); // the round starts
        trigger.Request("while the round runs", force: false);
        Assert.That(first.IsCompleted, Is.True);
        Assert.That(trigger.Requested.IsCompleted, Is.True, "the loop sees the second request when it looks again");
    }

    [Test]
    public void Several_pending_requests_make_one_round_forced_if_any_asked()
    {
        using var trigger = new RunTrigger(NullLogger<RunTrigger>.Instance);
        trigger.Request("SIGUSR1", force: false);
        trigger.Request("SIGHUP", force: true);
        trigger.Request("SIGUSR1", force: false);
        Assert.That(trigger.Take(), Is.True);
        Assert.That(trigger.Requested.IsCompleted, Is.False);
        Assert.That(trigger.Take(), Is.False, "nothing left to force");
    }
}

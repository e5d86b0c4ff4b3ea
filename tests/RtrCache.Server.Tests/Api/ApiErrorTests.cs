using System.Net;
using System.Text;
using RtrCache.Server.Tests.Support;

namespace RtrCache.Server.Tests.Api;

/// <summary>
/// Bad input gets a 4xx problem+json naming the parameter, never a 500; no payload yet gets 503. Includes a
/// seeded fuzz of random parameter values and bodies.
/// </summary>
public sealed class ApiErrorTests : ApiTestBase
{
    [TestCase("api/v1/vrps?asn=-1", "asn")]
    [TestCase("api/v1/vrps?asn=4294967296", "asn")]
    [TestCase("api/v1/vrps?asn=AS", "asn")]
    [TestCase("api/v1/vrps?asn=", "asn")]
    [TestCase("api/v1/vrps?prefix=10.0.0.1/8", "prefix")]
    [TestCase("api/v1/vrps?prefix=1.2.3.0/33", "prefix")]
    [TestCase("api/v1/vrps?prefix=::/129", "prefix")]
    [TestCase("api/v1/vrps?prefix=010.0.0.0/8", "prefix")]
    [TestCase("api/v1/vrps?prefix=banana", "prefix")]
    [TestCase("api/v1/vrps?prefix=%00", "prefix")]
    [TestCase("api/v1/vrps?prefix=10.0.0.0/8&match=fuzzy", "match")]
    [TestCase("api/v1/vrps?match=covering", "match")]
    [TestCase("api/v1/vrps?limit=0", "limit")]
    [TestCase("api/v1/vrps?limit=10001", "limit")]
    [TestCase("api/v1/vrps?limit=ten", "limit")]
    [TestCase("api/v1/vrps?offset=-1", "offset")]
    [TestCase("api/v1/vrps?offset=99999999999", "offset")]
    [TestCase("api/v1/vrps?ta=ripe", "ta")]
    [TestCase("api/v1/vrps?asm=64496", "asm")]
    [TestCase("api/v1/vrps?asn=1&asn=2", "asn")]
    [TestCase("api/v1/aspas?ta=arin", "ta")]
    [TestCase("api/v1/aspas?provider=x", "provider")]
    [TestCase("api/v1/router-keys?ski=123", "ski")]
    [TestCase("api/v1/router-keys?ski=ZZ4250E2D81D4E4C0A6D4C6FAA7DDE5EE0E0A1B2", "ski")]
    [TestCase("api/v1/validity/abc/192.0.2.0/24", "asn")]
    [TestCase("api/v1/validity/64496/192.0.2.0", "prefix")]
    [TestCase("api/v1/validity/64496/192.0.2.0/24/25", "prefix")]
    [TestCase("api/v1/validity/64496/192.0.2.1/24", "prefix")]
    [TestCase("api/v1/validity/64496/192.0.2.0%2", "prefix")]
    [TestCase("api/v1/validity?asn=64496", "prefix")]
    [TestCase("api/v1/validity?prefix=192.0.2.0/24", "asn")]
    [TestCase("api/v1/validity/64496/192.0.2.0/24?x=1", "x")]
    [TestCase("api/v1/aspa/verify", "path")]
    [TestCase("api/v1/aspa/verify?path=64500%20%7B", "path")]
    [TestCase("api/v1/aspa/verify?path=64500,64501", "path")]
    [TestCase("api/v1/aspa/verify?path=64500&direction=sideways", "direction")]
    [TestCase("api/v1/aspa/verify?path=64500&neighbor=me", "neighbor")]
    [TestCase("api/v1/export/bird?table=1abc", "table")]
    [TestCase("api/v1/export/bird?table=a%3Bb", "table")]
    [TestCase("api/v1/export/openbgpd?aspa=maybe", "aspa")]
    [TestCase("api/v1/export/csv?format=x", "format")]
    [TestCase("json?x=1", "x")]
    [TestCase("api/v1/status?verbose=1", "verbose")]
    public async Task Bad_query_input_is_a_400_naming_the_parameter(string path, string parameter)
    {
        var server = await StartSampleServerAsync();
        var answer = await GetAsync(server, path);
        var problem = AssertProblem(answer, HttpStatusCode.BadRequest, parameter: parameter);
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain(parameter), "the message names the parameter");
        Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("Bad Request"));
    }

    [TestCase("", "body")]
    [TestCase("null", "body")]
    [TestCase("[]", "body")]
    [TestCase("{", "body")]
    [TestCase("{}", "path")]
    [TestCase("""{"path": 5}""", "path")]
    [TestCase("""{"path": [[]]}""", "path")]
    [TestCase("""{"path": [-1]}""", "path")]
    [TestCase("""{"path": [4294967296]}""", "path")]
    [TestCase("""{"path": [1.5]}""", "path")]
    [TestCase("""{"path": [[[1]]]}""", "path")]
    [TestCase("""{"path": [{"asn": 1}]}""", "path")]
    [TestCase("""{"path": "1 x"}""", "path")]
    [TestCase("""{"path": "1", "direction": 5}""", "direction")]
    [TestCase("""{"path": "1", "direction": "up"}""", "direction")]
    [TestCase("""{"path": "1", "neighbor": "x"}""", "neighbor")]
    [TestCase("""{"path": "1", "role": "customer"}""", "role")]
    [TestCase("""{"path": "1", "path": "2"}""", "path")]
    [TestCase("""[[[[[[[[[[[[1]]]]]]]]]]]""", "body")]
    public async Task Bad_post_bodies_are_a_400_naming_the_member(string body, string parameter)
    {
        var server = await StartSampleServerAsync();
        AssertProblem(await PostAsync(server, "api/v1/aspa/verify", body), HttpStatusCode.BadRequest, parameter: parameter);
    }

    [Test]
    public async Task An_oversized_body_is_a_413_and_unknown_routes_are_404_problems()
    {
        var server = await StartSampleServerAsync();
        string big = "{\"path\": \"" + string.Join(' ', Enumerable.Repeat("64500", 20000)) + "\"}";
        AssertProblem(await PostAsync(server, "api/v1/aspa/verify", big), HttpStatusCode.RequestEntityTooLarge);
        AssertProblem(await GetAsync(server, "api/v1/nothing-here"), HttpStatusCode.NotFound, "nothing-here");
        AssertProblem(await GetAsync(server, "api/v2/vrps"), HttpStatusCode.NotFound);
        // A path longer than the limit is refused as bad input, not worked on.
        string longPath = string.Join(' ', Enumerable.Repeat("64500", 5000));
        AssertProblem(await PostAsync(server, "api/v1/aspa/verify", "{\"path\": \"" + longPath + "\"}"), HttpStatusCode.BadRequest, "more than");
    }

    [Test]
    public async Task Without_payload_the_data_endpoints_answer_503_and_status_still_works()
    {
        var server = await StartServerAsync(initial: null);
        foreach (var path in new[] { "api/v1/vrps", "api/v1/aspas", "api/v1/router-keys", "api/v1/validity/64496/192.0.2.0/24", "api/v1/aspa/verify?path=1", "json", "api/v1/export/csv", "api/v1/export/openbgpd", "api/v1/export/bird" })
            AssertProblem(await GetAsync(server, path), HttpStatusCode.ServiceUnavailable, "no payload");
        AssertProblem(await PostAsync(server, "api/v1/aspa/verify", """{"path": "1"}"""), HttpStatusCode.ServiceUnavailable);
        Assert.That((await GetAsync(server, "api/v1/status")).Status, Is.EqualTo(HttpStatusCode.OK));
        // Bad input is still reported as such before the missing payload.
        AssertProblem(await GetAsync(server, "api/v1/vrps?asn=x"), HttpStatusCode.BadRequest, parameter: "asn");
    }

    [Test]
    public async Task Fuzzed_parameters_and_bodies_never_cause_a_500()
    {
        var server = await StartSampleServerAsync();
        var rng = new Random(7807);
        const string alphabet = "0123456789abcdefABCDEF:./%{},[]\" -_ASas\u00e9\u0000\t+*?#&=";
        string Random(int max)
        {
            var sb = new StringBuilder();
            int n = rng.Next(max + 1);
            for (int i = 0; i < n; i++) sb.Append(alphabet[rng.Next(alphabet.Length)]);
            return sb.ToString();
        }

        string[] templates =
        [
            "api/v1/vrps?asn={0}", "api/v1/vrps?prefix={0}&match=covering", "api/v1/vrps?prefix={0}&match=covered", "api/v1/vrps?limit={0}&offset={0}",
            "api/v1/aspas?provider={0}", "api/v1/router-keys?ski={0}", "api/v1/validity/{0}/{0}", "api/v1/validity/64496/{0}",
            "api/v1/aspa/verify?path={0}", "api/v1/aspa/verify?path=64500&direction={0}&neighbor={0}", "api/v1/export/bird?table={0}",
            "api/v1/{0}",
        ];
        int answered = 0;
        for (int i = 0; i < 400; i++)
        {
            string value = Uri.EscapeDataString(Random(40));
            string path = string.Format(System.Globalization.CultureInfo.InvariantCulture, templates[i % templates.Length], value);
            var answer = await GetAsync(server, path);
            Assert.That((int)answer.Status, Is.LessThan(500), $"GET {path}: {answer}");
            // Kestrel itself refuses a NUL byte in the request path (400 with an empty body) before any
            // application code runs; everything that reaches the API gets a problem document.
            bool refusedByKestrel = answer.Status == HttpStatusCode.BadRequest && answer.ContentType is null && path.Split('?')[0].Contains("%00", StringComparison.Ordinal);
            if ((int)answer.Status >= 400 && !refusedByKestrel) Assert.That(answer.ContentType, Is.EqualTo("application/problem+json"), $"GET {path}: {answer}");
            answered++;
        }
        for (int i = 0; i < 150; i++)
        {
            string body = i % 3 == 0 ? Random(60) : i % 3 == 1 ? "{\"path\": \"" + Random(40).Replace("\"", "", StringComparison.Ordinal) + "\"}" : "{\"path\": [" + Random(30) + "]}";
            var answer = await PostAsync(server, "api/v1/aspa/verify", body);
            Assert.That((int)answer.Status, Is.LessThan(500), $"POST {body}: {answer}");
            if ((int)answer.Status >= 400) Assert.That(answer.ContentType, Is.EqualTo("application/problem+json"), $"POST {body}: {answer}");
            answered++;
        }
        Assert.That(answered, Is.EqualTo(550));
        // The server is still healthy afterwards.
        Assert.That((await GetAsync(server, "api/v1/status")).Status, Is.EqualTo(HttpStatusCode.OK));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ConsentKit.AspNetCore.Tests;

public sealed class ConsentApiTests
{
    private const string Api = "/api/consents";

    [Fact]
    public async Task List_ShowsEveryPurpose_OffUntilTheyChoose()
    {
        await using var app = await TestApp.StartAsync();

        var purposes = await (await app.GetAsync(Api, "alice")).Content.ReadFromJsonAsync<JsonElement[]>();

        purposes!.Select(p => p.GetProperty("purposeId").GetString()).Should().Contain([ConsentPurposes.AiTraining, ConsentPurposes.GenerativeAiTraining, "newsletter"]);
        var genAi = purposes!.Single(p => p.GetProperty("purposeId").GetString() == ConsentPurposes.GenerativeAiTraining);
        genAi.GetProperty("state").GetString().Should().Be("no-record");
        genAi.GetProperty("allowed").GetBoolean().Should().BeFalse();
        genAi.GetProperty("displayName").GetString().Should().Be("Data for Generative AI improvement");
        genAi.GetProperty("notice").GetString().Should().Be("Use my data for training content-creation AI models.");
        genAi.GetProperty("noticeVersion").GetString().Should().Be("1");
    }

    [Fact]
    public async Task Grant_ThenWithdraw_EachOneCall_AndTheListAndHistoryFollow()
    {
        await using var app = await TestApp.StartAsync();

        var grant = await app.PostJsonAsync($"{Api}/{ConsentPurposes.GenerativeAiTraining}/grant", new { noticeVersion = "1" }, "alice");
        grant.StatusCode.Should().Be(HttpStatusCode.OK);
        (await State(app, "alice", ConsentPurposes.GenerativeAiTraining)).Should().Be("granted");

        var withdraw = await app.PostJsonAsync($"{Api}/{ConsentPurposes.GenerativeAiTraining}/withdraw", new { noticeVersion = "1" }, "alice");
        withdraw.StatusCode.Should().Be(HttpStatusCode.OK);
        (await State(app, "alice", ConsentPurposes.GenerativeAiTraining)).Should().Be("withdrawn");

        var history = await (await app.GetAsync($"{Api}/history", "alice")).Content.ReadFromJsonAsync<JsonElement[]>();
        history!.Select(r => r.GetProperty("status").GetString()).Should().Equal("granted", "withdrawn");
        history!.Select(r => r.GetProperty("method").GetString()).Should().AllBe("subject-api-call");
    }

    [Fact]
    public async Task History_ShowsTheNoticeTextEachRecordWasMadeUnder()
    {
        await using var app = await TestApp.StartAsync();
        await app.PostJsonAsync($"{Api}/{ConsentPurposes.GenerativeAiTraining}/grant", new { noticeVersion = "1" }, "alice");

        var history = await (await app.GetAsync($"{Api}/history", "alice")).Content.ReadFromJsonAsync<JsonElement[]>();

        var record = history!.Should().ContainSingle().Subject;
        record.GetProperty("noticeDisplayName").GetString().Should().Be("Data for Generative AI improvement");
        record.GetProperty("noticeText").GetString().Should().Be("Use my data for training content-creation AI models.");
    }

    [Fact]
    public async Task AGrantUnderARefusedParent_Is409NamingTheParent_AndWritesNothing()
    {
        await using var app = await TestApp.StartAsync();
        (await app.PostJsonAsync($"{Api}/{ConsentPurposes.AiTraining}/refuse", new { }, "alice")).StatusCode.Should().Be(HttpStatusCode.OK);

        var response = await app.PostJsonAsync($"{Api}/{ConsentPurposes.GenerativeAiTraining}/grant", new { noticeVersion = "1" }, "alice");

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("blockedBy").GetString().Should().Be(ConsentPurposes.AiTraining);
        problem.GetProperty("blockedByState").GetString().Should().Be("refused");
        var history = await (await app.GetAsync($"{Api}/history", "alice")).Content.ReadFromJsonAsync<JsonElement[]>();
        history.Should().ContainSingle("only the parent's refusal was written");
    }

    [Theory]
    [InlineData("GET", "/ai-training.generative/grant", "POST")]
    [InlineData("DELETE", "/ai-training.generative/withdraw", "POST")]
    [InlineData("DELETE", "", "GET")]
    [InlineData("PUT", "/history", "GET")]
    public async Task AMethodTheRouteDoesNotTake_Is405Problem_NamingTheAllowedOne(string method, string path, string allow)
    {
        await using var app = await TestApp.StartAsync();

        var response = await app.SendAsync(new HttpMethod(method), Api + path, "alice");

        response.StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        response.Content.Headers.Allow.Should().Equal(allow);
        (await app.HistoryAsync("alice")).Should().BeEmpty();
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task AChunkedBodyOver4KiB_Is413_AndWritesNothing(string mediaType)
    {
        await using var app = await TestApp.StartAsync();
        var body = mediaType == "application/json"
            ? "{\"noticeVersion\":\"1\",\"source\":\"" + new string('x', 3 * 1024 * 1024) + "\"}"
            : "noticeVersion=1&source=" + new string('x', 3 * 1024 * 1024);
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new(mediaType);
        content.Headers.ContentLength = null;

        var response = await app.SendAsync(HttpMethod.Post, $"{Api}/{ConsentPurposes.GenerativeAiTraining}/grant", "alice", content, chunked: true);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await app.HistoryAsync("alice")).Should().BeEmpty();
    }

    [Fact]
    public async Task WithdrawAll_TurnsEveryGrantOff_InOneCall()
    {
        await using var app = await TestApp.StartAsync();
        await app.PostJsonAsync($"{Api}/{ConsentPurposes.GenerativeAiTraining}/grant", new { noticeVersion = "1" }, "alice");
        await app.PostJsonAsync($"{Api}/{ConsentPurposes.Analytics}/grant", new { noticeVersion = "1" }, "alice");

        var response = await app.PostJsonAsync($"{Api}/withdraw-all", new { }, "alice");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var records = await response.Content.ReadFromJsonAsync<JsonElement[]>();
        records!.Select(r => r.GetProperty("status").GetString()).Should().Equal("withdrawn", "withdrawn");
        (await State(app, "alice", ConsentPurposes.GenerativeAiTraining)).Should().Be("withdrawn");
        (await State(app, "alice", ConsentPurposes.Analytics)).Should().Be("withdrawn");
    }

    [Fact]
    public async Task RefuseAll_LeavesNothingOn()
    {
        await using var app = await TestApp.StartAsync();
        await app.PostJsonAsync($"{Api}/{ConsentPurposes.Analytics}/grant", new { noticeVersion = "1" }, "alice");

        (await app.PostJsonAsync($"{Api}/refuse-all", new { }, "alice")).StatusCode.Should().Be(HttpStatusCode.OK);

        var purposes = await (await app.GetAsync(Api, "alice")).Content.ReadFromJsonAsync<JsonElement[]>();
        purposes!.Should().OnlyContain(p => !p.GetProperty("allowed").GetBoolean());
        purposes!.Select(p => p.GetProperty("state").GetString()).Should().OnlyContain(s => s == "refused" || s == "withdrawn");
    }

    [Fact]
    public async Task Refuse_IsRecorded()
    {
        await using var app = await TestApp.StartAsync();

        (await app.PostJsonAsync($"{Api}/marketing/refuse", new { }, "alice")).StatusCode.Should().Be(HttpStatusCode.OK);

        (await State(app, "alice", ConsentPurposes.Marketing)).Should().Be("refused");
    }

    [Fact]
    public async Task StaleNoticeVersion_Is409_WithTheCurrentVersion_AndWritesNothing()
    {
        await using var app = await TestApp.StartAsync();

        var response = await app.PostJsonAsync($"{Api}/{ConsentPurposes.GenerativeAiTraining}/grant", new { noticeVersion = "0" }, "alice");

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("currentNoticeVersion").GetString().Should().Be("1");
        (await app.HistoryAsync("alice")).Should().BeEmpty();
    }

    public static TheoryData<string, string, string, HttpStatusCode> BadRequests() => new()
    {
        { "unknown purpose", $"{Api}/biometrics/grant", """{"noticeVersion":"1"}""", HttpStatusCode.NotFound },
        { "malformed JSON", $"{Api}/ai-training/grant", """{"noticeVersion":""", HttpStatusCode.BadRequest },
        { "JSON of another shape", $"{Api}/ai-training/grant", """{"noticeVersion":{"a":1}}""", HttpStatusCode.BadRequest },
        { "JSON null", $"{Api}/ai-training/grant", "null", HttpStatusCode.BadRequest },
        { "control characters in source", $"{Api}/ai-training/grant", """{"noticeVersion":"1","source":"a\u0000b"}""", HttpStatusCode.BadRequest },
        { "control characters in notice", $"{Api}/ai-training/withdraw", """{"noticeVersion":"1\n2"}""", HttpStatusCode.BadRequest },
        { "over-long source", $"{Api}/ai-training/refuse", $$"""{"source":"{{new string('s', 65)}}"}""", HttpStatusCode.BadRequest },
        { "huge body", $"{Api}/ai-training/grant", $$"""{"noticeVersion":"1","source":"{{new string('x', 100_000)}}"}""", HttpStatusCode.RequestEntityTooLarge },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInput_IsA4xxProblem_AndWritesNothing(string because, string url, string body, HttpStatusCode expected)
    {
        await using var app = await TestApp.StartAsync();

        var response = await app.Client.SendAsync(app.Request(HttpMethod.Post, url, "alice", new StringContent(body, Encoding.UTF8, "application/json")));

        response.StatusCode.Should().Be(expected, because);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await app.HistoryAsync("alice")).Should().BeEmpty();
    }

    [Fact]
    public async Task WrongMediaType_Is415()
    {
        await using var app = await TestApp.StartAsync();

        var response = await app.Client.SendAsync(app.Request(HttpMethod.Post, $"{Api}/ai-training/grant", "alice", new StringContent("noticeVersion=1", Encoding.UTF8, "text/plain")));

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        (await app.HistoryAsync("alice")).Should().BeEmpty();
    }

    [Fact]
    public async Task Anonymous_Is401_AndWritesNothing()
    {
        await using var app = await TestApp.StartAsync();

        (await app.GetAsync(Api)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await app.GetAsync($"{Api}/history")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await app.PostJsonAsync($"{Api}/ai-training/grant", new { noticeVersion = "1" }, user: null)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task NoRouteQueryBodyOrHeader_CanNameAnotherSubject()
    {
        await using var app = await TestApp.StartAsync();
        var genAi = ConsentPurposes.GenerativeAiTraining;

        var viaQuery = await app.PostJsonAsync($"{Api}/{genAi}/grant?subjectId=bob&subject=bob&userId=bob", new { noticeVersion = "1" }, "mallory");
        var viaBody = await app.PostJsonAsync($"{Api}/{genAi}/grant", new { noticeVersion = "1", subjectId = "bob", subject = "bob" }, "mallory");
        var viaHeader = app.Request(HttpMethod.Post, $"{Api}/{genAi}/grant", "mallory", JsonContent.Create(new { noticeVersion = "1" }));
        viaHeader.Headers.Add("X-Subject-Id", "bob");
        await app.Client.SendAsync(viaHeader);
        var viaRoute = await app.PostJsonAsync($"{Api}/bob/{genAi}/grant", new { noticeVersion = "1" }, "mallory");
        var historyViaQuery = await app.GetAsync($"{Api}/history?subjectId=bob", "mallory");

        viaRoute.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await app.HistoryAsync("bob")).Should().BeEmpty("nobody but bob can record bob's consent");
        (await app.HistoryAsync("mallory")).Should().HaveCount(3).And.OnlyContain(r => r.SubjectId == "mallory");
        (await historyViaQuery.Content.ReadFromJsonAsync<JsonElement[]>())!.Should().HaveCount(3);
        viaQuery.StatusCode.Should().Be(HttpStatusCode.OK);
        viaBody.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task FailingStore_Is503_NotA500()
    {
        var store = new FailingReadsStore { FailReads = true };
        await using var app = await TestApp.StartAsync(store: store);

        (await app.GetAsync(Api, "alice")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await app.GetAsync($"{Api}/history", "alice")).StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task FormPost_WithoutAntiforgeryToken_IsRejected_AndWritesNothing()
    {
        await using var app = await TestApp.StartAsync();

        var response = await app.Client.SendAsync(app.Request(HttpMethod.Post, $"{Api}/{ConsentPurposes.GenerativeAiTraining}/grant", "alice",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["noticeVersion"] = "1" })));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await app.HistoryAsync("alice")).Should().BeEmpty();
    }

    [Fact]
    public async Task FormPost_WithAntiforgeryToken_RecordsTheSubjectsActInTheUi()
    {
        await using var app = await TestApp.StartAsync(a => a.MapGet("/token", (IAntiforgery antiforgery, HttpContext context) =>
        {
            var tokens = antiforgery.GetAndStoreTokens(context);
            return tokens.RequestToken;
        }));
        var tokenResponse = await app.GetAsync("/token", "alice");
        var requestToken = await tokenResponse.Content.ReadAsStringAsync();
        var cookie = tokenResponse.Headers.GetValues("Set-Cookie").First().Split(';')[0];
        var post = app.Request(HttpMethod.Post, $"{Api}/{ConsentPurposes.GenerativeAiTraining}/grant", "alice",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["noticeVersion"] = "1", ["__RequestVerificationToken"] = requestToken! }));
        post.Headers.Add("Cookie", cookie);

        var response = await app.Client.SendAsync(post);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var record = (await app.HistoryAsync("alice")).Should().ContainSingle().Which;
        record.Method.Should().Be(ConsentMethod.SubjectUserInterface);
        record.Source.Should().Be("settings-page");
    }

    private static async Task<string?> State(TestApp app, string user, string purpose)
    {
        var purposes = await (await app.GetAsync(Api, user)).Content.ReadFromJsonAsync<JsonElement[]>();
        return purposes!.Single(p => p.GetProperty("purposeId").GetString() == purpose).GetProperty("state").GetString();
    }
}

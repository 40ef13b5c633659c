using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;

namespace ConsentKit.Tests;

public sealed class RecorderTests : IDisposable
{
    private readonly ConsentKitFixture _kit = new(b => b
        .AddPurpose("newsletter", "Newsletter", "Send me the newsletter.", "3", lifetime: TimeSpan.FromDays(30)));

    private InMemoryConsentStore Store => _kit.Provider.GetRequiredService<InMemoryConsentStore>();

    [Fact]
    public async Task Grant_RecordsEveryField()
    {
        var metadata = new Dictionary<string, string> { ["locale"] = "de-DE" };
        var record = await _kit.Recorder.GrantAsync(
            "alice", "newsletter", new ConsentEvidence { Method = ConsentMethod.SubjectApiCall, NoticeVersion = "3", Source = "mobile-app", Metadata = metadata });

        record.Sequence.Should().BePositive();
        record.SubjectId.Should().Be("alice");
        record.PurposeId.Should().Be("newsletter");
        record.Status.Should().Be(ConsentStatus.Granted);
        record.NoticeVersion.Should().Be("3");
        record.RecordedAt.Should().Be(ConsentKitFixture.Start);
        record.ExpiresAt.Should().Be(ConsentKitFixture.Start.AddDays(30));
        record.Method.Should().Be(ConsentMethod.SubjectApiCall);
        record.Source.Should().Be("mobile-app");
        record.Metadata.Should().Equal(metadata);
        (await Store.GetHistoryAsync("alice", TestContext.Current.CancellationToken)).Should().ContainSingle().Which.Should().BeSameAs(record);
    }

    [Fact]
    public async Task Withdraw_TakesTheSameInputsAsGrant()
    {
        var evidence = ConsentEvidence.FromUserInterface("3", "settings-page");
        await _kit.Recorder.GrantAsync("alice", "newsletter", evidence);

        var withdrawal = await _kit.Recorder.WithdrawAsync("alice", "newsletter", evidence);

        withdrawal.Status.Should().Be(ConsentStatus.Withdrawn);
        withdrawal.ExpiresAt.Should().BeNull();
        (await _kit.CheckAsync("alice", "newsletter")).Reason.Should().Be(ConsentDecisionReason.Withdrawn);
    }

    [Theory]
    [InlineData(ConsentMethod.Operator)]
    [InlineData(ConsentMethod.Import)]
    [InlineData(ConsentMethod.PrivacySignal)]
    public async Task Grant_NotExpressedBySubject_ThrowsAndWritesNothing(ConsentMethod method)
    {
        var act = async () => await _kit.Recorder.GrantAsync("alice", "newsletter", new ConsentEvidence { Method = method, NoticeVersion = "3" });

        (await act.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("evidence.Method");
        Store.Count.Should().Be(0);
        (await _kit.CheckAsync("alice", "newsletter")).IsAllowed.Should().BeFalse();
    }

    [Theory]
    [InlineData(ConsentMethod.Operator)]
    [InlineData(ConsentMethod.Import)]
    [InlineData(ConsentMethod.PrivacySignal)]
    public async Task RefuseAndWithdraw_MayComeFromOthers(ConsentMethod method)
    {
        var refusal = await _kit.Recorder.RefuseAsync("alice", "newsletter", new ConsentEvidence { Method = method });
        var withdrawal = await _kit.Recorder.WithdrawAsync("bob", "newsletter", new ConsentEvidence { Method = method });

        refusal.Method.Should().Be(method);
        refusal.NoticeVersion.Should().Be("3", "no version given records the current one");
        withdrawal.Status.Should().Be(ConsentStatus.Withdrawn);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("4")]
    [InlineData(null)]
    public async Task Grant_UnderAnotherNoticeVersion_ThrowsAndWritesNothing(string? version)
    {
        var act = async () => await _kit.Recorder.GrantAsync("alice", "newsletter", ConsentEvidence.FromUserInterface(version));

        var error = (await act.Should().ThrowAsync<ConsentNoticeOutdatedException>()).Which;
        error.ParamName.Should().Be("evidence.NoticeVersion");
        error.CurrentNoticeVersion.Should().Be("3");
        error.GivenNoticeVersion.Should().Be(version);
        Store.Count.Should().Be(0);
    }

    [Theory]
    [InlineData("grant")]
    [InlineData("refuse")]
    [InlineData("withdraw")]
    public async Task UnknownPurpose_ThrowsAndWritesNothing(string action)
    {
        var evidence = ConsentEvidence.FromUserInterface("1");
        var act = action switch
        {
            "grant" => async () => await _kit.Recorder.GrantAsync("alice", "biometrics", evidence),
            "refuse" => async () => await _kit.Recorder.RefuseAsync("alice", "biometrics", evidence),
            _ => (Func<Task>)(async () => await _kit.Recorder.WithdrawAsync("alice", "biometrics", evidence)),
        };

        var error = (await act.Should().ThrowAsync<ConsentPurposeNotFoundException>()).Which;
        error.ParamName.Should().Be("purposeId");
        error.PurposeId.Should().Be("biometrics");
        Store.Count.Should().Be(0);
    }

    public static TheoryData<string> BadSubjectIds() => new()
    {
        string.Empty,
        "   ",
        "\t",
        new string('a', ConsentRecordRules.MaxSubjectIdLength + 1),
        "alice\u0000",
        "ali\nce",
        "alice\u007f",
    };

    [Theory]
    [MemberData(nameof(BadSubjectIds))]
    public async Task BadSubjectId_ThrowsNamingTheFieldAndWritesNothing(string subjectId)
    {
        foreach (var record in Actions())
        {
            var act = async () => await record(subjectId);
            (await act.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("subjectId");
        }

        Store.Count.Should().Be(0);
    }

    [Fact]
    public async Task NullSubjectId_ThrowsArgumentNull()
    {
        var act = async () => await _kit.Recorder.GrantAsync(null!, "newsletter", ConsentEvidence.FromUserInterface("3"));

        (await act.Should().ThrowAsync<ArgumentNullException>()).Which.ParamName.Should().Be("subjectId");
        Store.Count.Should().Be(0);
    }

    [Fact]
    public async Task LongestAllowedSubjectId_IsAccepted()
    {
        var subject = new string('ü', ConsentRecordRules.MaxSubjectIdLength);

        await _kit.Recorder.GrantAsync(subject, "newsletter", ConsentEvidence.FromUserInterface("3"));

        (await _kit.CheckAsync(subject, "newsletter")).IsAllowed.Should().BeTrue();
    }

    public static TheoryData<ConsentEvidence, string> BadEvidence() => new()
    {
        { ConsentEvidence.FromUserInterface("3", new string('s', ConsentRecordRules.MaxSourceLength + 1)), "evidence.Source" },
        { ConsentEvidence.FromUserInterface("3", "settings\r\npage"), "evidence.Source" },
        { ConsentEvidence.FromUserInterface("3", "  "), "evidence.Source" },
        { new ConsentEvidence { Method = ConsentMethod.SubjectUserInterface, NoticeVersion = "3", Metadata = Enumerable.Range(0, 17).ToDictionary(i => $"k{i}", i => "v") }, "evidence.Metadata" },
        { new ConsentEvidence { Method = ConsentMethod.SubjectUserInterface, NoticeVersion = "3", Metadata = new Dictionary<string, string> { ["k"] = new string('v', 513) } }, "evidence.Metadata" },
        { new ConsentEvidence { Method = ConsentMethod.SubjectUserInterface, NoticeVersion = "3", Metadata = new Dictionary<string, string> { ["k\u0001"] = "v" } }, "evidence.Metadata" },
        { new ConsentEvidence { Method = (ConsentMethod)42, NoticeVersion = "3" }, "evidence.Method" },
    };

    [Theory]
    [MemberData(nameof(BadEvidence))]
    public async Task BadEvidence_ThrowsNamingTheFieldAndWritesNothing(ConsentEvidence evidence, string field)
    {
        var act = async () => await _kit.Recorder.GrantAsync("alice", "newsletter", evidence);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be(field);
        Store.Count.Should().Be(0);
    }

    [Fact]
    public async Task NullEvidence_ThrowsAndWritesNothing()
    {
        var act = async () => await _kit.Recorder.WithdrawAsync("alice", "newsletter", null!);

        (await act.Should().ThrowAsync<ArgumentNullException>()).Which.ParamName.Should().Be("evidence");
        Store.Count.Should().Be(0);
    }

    [Fact]
    public void GrantByOperator_CannotEvenBeConstructed()
    {
        var act = () => new NewConsentRecord("alice", "newsletter", ConsentStatus.Granted, "3", ConsentKitFixture.Start, null, ConsentMethod.Operator);

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("method");
    }

    [Fact]
    public async Task Records_AreAppendOnly_HistoryKeepsEveryChange()
    {
        var evidence = ConsentEvidence.FromUserInterface("3");
        await _kit.Recorder.GrantAsync("alice", "newsletter", evidence);
        await _kit.Recorder.WithdrawAsync("alice", "newsletter", evidence);
        await _kit.Recorder.GrantAsync("alice", "newsletter", evidence);

        var history = await Store.GetHistoryAsync("alice", TestContext.Current.CancellationToken);

        history.Select(r => r.Status).Should().Equal(ConsentStatus.Granted, ConsentStatus.Withdrawn, ConsentStatus.Granted);
    }

    private IEnumerable<Func<string, Task>> Actions()
    {
        var evidence = ConsentEvidence.FromUserInterface("3");
        yield return async s => await _kit.Recorder.GrantAsync(s, "newsletter", evidence);
        yield return async s => await _kit.Recorder.RefuseAsync(s, "newsletter", evidence);
        yield return async s => await _kit.Recorder.WithdrawAsync(s, "newsletter", evidence);
    }

    public void Dispose() => _kit.Dispose();
}

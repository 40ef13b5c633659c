using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ConsentKit.Tests;

/// <summary>Kept notices at start-up, erasure through the recorder, and the canonical encoding.</summary>
public sealed class ProofTests
{
    [Fact]
    public async Task AChangedNoticeTextUnderTheSameVersion_StopsTheHostAtStart_NamingThePurpose()
    {
        var store = new InMemoryConsentStore();
        await store.SaveNoticesAsync([new ConsentNotice { PurposeId = ConsentPurposes.GenerativeAiTraining, NoticeVersion = "1", DisplayName = "Generative AI", Text = "What people saw before." }], DateTimeOffset.UnixEpoch);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddConsentKit().AddStandardPurposes().UseStore(_ => store);
        using var host = builder.Build();

        var start = () => host.StartAsync(TestContext.Current.CancellationToken);

        (await start.Should().ThrowAsync<ConsentNoticeConflictException>()).Which.Message.Should().Contain(ConsentPurposes.GenerativeAiTraining).And.Contain("new NoticeVersion");
        (await store.GetNoticesAsync()).Should().ContainSingle(n => n.PurposeId == ConsentPurposes.GenerativeAiTraining).Which.Text.Should().Be("What people saw before.");
    }

    [Fact]
    public async Task TheFirstChoice_KeepsEveryNoticeWordForWord_EvenWithoutAHost()
    {
        using var kit = new ConsentKitFixture(store: new InMemoryConsentStore());

        await kit.Recorder.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface(kit.NoticeOf(ConsentPurposes.GenerativeAiTraining)));

        var notices = await kit.Store.GetNoticesAsync();
        var catalog = kit.Provider.GetRequiredService<ConsentPurposeCatalog>();
        notices.Select(n => n.PurposeId).Should().BeEquivalentTo(catalog.Purposes.Select(p => p.Id));
        var genAi = catalog.Purposes.Single(p => p.Id == ConsentPurposes.GenerativeAiTraining);
        notices.Single(n => n.PurposeId == genAi.Id).Text.Should().Be(genAi.Description);
    }

    [Fact]
    public async Task Erase_WithdrawsWhatWasOn_TellsTheObservers_AndTheGateDenies()
    {
        using var kit = new ConsentKitFixture(store: new InMemoryConsentStore());
        var evidence = ConsentEvidence.FromUserInterface(kit.NoticeOf(ConsentPurposes.GenerativeAiTraining));
        await kit.Recorder.GrantAsync("alice", ConsentPurposes.AiTraining, ConsentEvidence.FromUserInterface(kit.NoticeOf(ConsentPurposes.AiTraining)));
        await kit.Recorder.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining, evidence);
        var grant = (await kit.Gate.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining)).Record!;
        await ((IDataUseLedger)kit.Store).StartAsync(new NewDataUse { Id = "set-1", PurposeId = ConsentPurposes.GenerativeAiTraining, Description = "training set", StartedAt = grant.RecordedAt });
        await ((IDataUseLedger)kit.Store).AddSubjectsAsync("set-1", [new DataUseSubject { SubjectId = "alice", ConsentSequence = grant.Sequence }]);

        var result = await kit.Recorder.EraseSubjectAsync("alice", new ConsentEvidence { Method = ConsentMethod.SubjectUserInterface, Source = "settings-page" });

        result.Erased.Should().BeTrue();
        result.Withdrawals.Select(r => r.PurposeId).Should().BeEquivalentTo([ConsentPurposes.AiTraining, ConsentPurposes.GenerativeAiTraining]);
        (await kit.Gate.CheckAsync("alice", ConsentPurposes.GenerativeAiTraining)).IsAllowed.Should().BeFalse();
        (await kit.Store.GetHistoryAsync("alice")).Should().BeEmpty();
        (await ((IDataUseLedger)kit.Store).FindBySubjectAsync("alice")).Should().BeEmpty();
        (await ((IDataUseLedger)kit.Store).GetAsync("set-1"))!.SubjectCount.Should().Be(1);
        (await new ConsentHistoryVerifier(kit.Store).VerifyAsync()).IsValid.Should().BeTrue();
    }

    [Fact]
    public async Task Erase_WithBadInput_Throws_NamingTheField_AndWritesNothing()
    {
        using var kit = new ConsentKitFixture(store: new InMemoryConsentStore());
        await kit.Recorder.GrantAsync("alice", ConsentPurposes.GenerativeAiTraining, ConsentEvidence.FromUserInterface(kit.NoticeOf(ConsentPurposes.GenerativeAiTraining)));

        var badSubject = async () => await kit.Recorder.EraseSubjectAsync("", new ConsentEvidence { Method = ConsentMethod.Operator });
        var badEvidence = async () => await kit.Recorder.EraseSubjectAsync("alice", new ConsentEvidence { Method = ConsentMethod.Operator, Source = new string('x', 65) });

        (await badSubject.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("subjectId");
        (await badEvidence.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("evidence.Source");
        (await kit.Store.GetHistoryAsync("alice")).Should().ContainSingle();
    }

    [Fact]
    public async Task AnExportedHead_SignedNow_ChecksOutLater_AndNotWhenAltered()
    {
        using var kit = new ConsentKitFixture(store: new InMemoryConsentStore());
        await kit.GrantAsync("alice");
        var head = (await new ConsentHistoryVerifier(kit.Store).VerifyAsync()).Head;
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);

        var line = head.ToString();
        var signature = head.Sign(key);

        ConsentChainHead.Parse(line).HasValidSignature(signature, key).Should().BeTrue();
        (head with { Sequence = head.Sequence + 1 }).HasValidSignature(signature, key).Should().BeFalse();
        head.HasValidSignature(signature, other).Should().BeFalse();
        head.HasValidSignature("not base64url!", key).Should().BeFalse();
        line.Should().MatchRegex("^consentkit-chain-head:v2:1:[0-9a-f]{64}:1:[0-9a-f]{64}$", "one record, and its subject's registration in the proof log");
        (head with { LogHash = new string('0', 64) }).HasValidSignature(signature, key).Should().BeFalse("the signature covers the proof log's head too");
        ConsentChainHead.Parse(line).Should().Be(head);
        var version1 = ConsentChainHead.Parse($"consentkit-chain-head:v1:1:{head.Hash}");
        version1.LogHash.Should().BeNull("a version 1 head anchors only the records");
        version1.ToString().Should().Be($"consentkit-chain-head:v1:1:{head.Hash}");
        var parse = () => ConsentChainHead.Parse("consentkit-chain-head:v1:1:XYZ");
        parse.Should().Throw<FormatException>().WithMessage("*64 lower-case hex digits*");
    }

    [Fact]
    public void TheProofLogEncoding_IsFixed_ByAKnownHash()
    {
        // Pinned to the Python in docs/history-proof.md: a registration of key 00…00 for "ada" under secret 01…01.
        var payload = ConsentProofLog.SubjectRegistered("ada", new byte[16], Enumerable.Repeat((byte)1, 32).ToArray());
        var entry = ConsentProofLog.CreateEntry(1, ConsentProofEntryKind.SubjectRegistered, payload, ConsentChain.GenesisHash.Span);

        Convert.ToHexStringLower(payload.AsSpan(16)).Should().Be("e352f445bb90a43bbbf63dc9876c8f74e055133882619bc2d537b157d2b4e1a1");
        Convert.ToHexStringLower(entry.Hash.Span).Should().Be("0a20a0a8da972287e6e8650dc176e887cdd76bced76a39647e348ba46ccb94d0");
        ConsentProofLog.HasValidHash(entry).Should().BeTrue();
        ConsentProofLog.HasValidHash(entry with { Payload = ConsentProofLog.SubjectRegistered("bob", new byte[16], Enumerable.Repeat((byte)1, 32).ToArray()) }).Should().BeFalse();
    }

    [Fact]
    public void TheLineageEncoding_IsFixed_ByAKnownHash()
    {
        // Pinned to the Python in docs/history-proof.md: fine-tune m2 built from ts-1 and m1, then deployed to chat.
        var at = new DateTimeOffset(639000000000000000, TimeSpan.Zero);
        var artifact = new NewArtifact
        {
            Id = "m2", Version = "1", Kind = ArtifactKinds.FineTune, Owner = "ml", BuiltAt = at,
            Inputs = [ArtifactInput.FromDataUse("ts-1"), ArtifactInput.FromArtifact("m1")],
        };
        var recorded = ConsentProofLog.CreateEntry(13, ConsentProofEntryKind.ArtifactRecorded, LineageLog.ArtifactPayload(artifact), ConsentChain.GenesisHash.Span);
        var deployed = ConsentProofLog.CreateEntry(14, ConsentProofEntryKind.ArtifactEvent, LineageLog.EventPayload(ArtifactEventKind.Deployed, "m2", "chat", at, "ml", string.Empty), ConsentChain.GenesisHash.Span);

        Convert.ToHexStringLower(recorded.Hash.Span).Should().Be("090a2e64c900a5de334563b3c1e628973893119bcae6359ffef96cd206a3392e");
        Convert.ToHexStringLower(deployed.Hash.Span).Should().Be("1105421cfc4b28d47a968bc9891ec756e7b9c83b798e66daaf868362ec0a7f9e");
        LineageLog.ReadArtifact(recorded).Inputs.Should().Equal(artifact.Inputs);
        LineageLog.ReadEvent(deployed).Should().BeEquivalentTo(new { Kind = ArtifactEventKind.Deployed, ArtifactId = "m2", DeploymentId = "chat", At = at, By = "ml", Note = string.Empty });
    }

    [Fact]
    public void TheCanonicalEncoding_IsFixed_ByAKnownHash()
    {
        // If this changes, every stored chain stops verifying: a new encoding needs a new tag (CKR2).
        var entry = new ConsentChainEntry
        {
            Sequence = 1, PreviousSequence = 0, SubjectKey = new byte[16], PurposeId = "ai-training.generative", Status = ConsentStatus.Granted,
            NoticeVersion = "1", NoticeDigest = new byte[32], RecordedAtUtcTicks = 638975232000000000, ExpiresAtUtcTicks = null,
            Method = ConsentMethod.SubjectUserInterface, Source = "settings-page", SealedMetadata = ReadOnlyMemory<byte>.Empty, Hash = ReadOnlyMemory<byte>.Empty,
        };

        Convert.ToHexStringLower(ConsentChain.ComputeHash(entry, ConsentChain.GenesisHash.Span)).Should().Be(KnownHash);
        new ConsentNotice { PurposeId = "p", NoticeVersion = "1", DisplayName = "P", Text = "T" }.Digest.Length.Should().Be(32);
    }

    // Computed independently from the layout in docs/history-proof.md (its Python snippet).
    private const string KnownHash = "41d0c3b7846a4438fb246d2a76636afe53023652ab656c6c2b97e116b4f96ba1";
}

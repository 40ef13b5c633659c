using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ConsentKit.Receipts;
using FluentAssertions;
using Json.Schema;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace ConsentKit.Tests;

public sealed class ReceiptTests : IDisposable
{
    private readonly ReceiptTestKit _kit = new();

    [Fact]
    public async Task AReceiptsValidity_IsTheRulesOwn_ALifetimeCountsEvenWithoutARecordedExpiry()
    {
        var ct = TestContext.Current.CancellationToken;
        using var kit = ReceiptTestKit.WithNewsletter();
        var imported = await kit.ImportGrantAsync("ada", "newsletter");
        var recorded = await kit.Kit.GrantAsync("ada", ConsentPurposes.Analytics);

        (await kit.Receipts.IssueAsync("ada", imported.Sequence, ct))!.Receipt.Event.ValidityDuration.Should().Be("P365D");
        (await kit.Receipts.IssueAsync("ada", recorded.Sequence, ct))!.Receipt.Event.ValidityDuration.Should().Be("until-withdrawn");
    }

    [Fact]
    public async Task AnIssuedReceipt_Verifies_AndCarriesTheRecordAndTheNoticeText()
    {
        var grant = await _kit.Kit.GrantAsync("ada");

        var receipt = await _kit.Receipts.IssueAsync("ada", grant.Sequence, TestContext.Current.CancellationToken);
        var check = await _kit.Receipts.VerifyAsync(receipt!.Token, TestContext.Current.CancellationToken);

        check.IsValid.Should().BeTrue(check.ToString());
        check.KeyId.Should().Be("key-1");
        check.Receipt!.RecordId.Should().Be(grant.Sequence);
        check.Receipt.PiiPrincipalId.Should().Be("ada");
        check.Receipt.Purpose.Id.Should().Be(ConsentPurposes.GenerativeAiTraining);
        check.Receipt.PrivacyNotice.Text.Should().NotBeNullOrWhiteSpace();
        check.Receipt.Event.EventState.Should().Be("dpv:ConsentGiven");
        check.Receipt.Event.EntityId.Should().Be("ada", "the person's own act");
        receipt.Token.Split('.').Should().HaveCount(3, "a compact JWS");
    }

    [Fact]
    public async Task TheReceiptPayload_ValidatesAgainstTheIsoFieldSchema()
    {
        var grant = await _kit.Kit.GrantAsync("ada");
        var withdrawal = await _kit.Kit.WithdrawAsync("ada");
        var schema = JsonSchema.FromText(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "consent-receipt.schema.json"), TestContext.Current.CancellationToken));

        foreach (var sequence in new[] { grant.Sequence, withdrawal.Sequence })
        {
            var token = (await _kit.Receipts.IssueAsync("ada", sequence, TestContext.Current.CancellationToken))!.Token;
            var payload = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.Split('.')[1])).RootElement;

            var result = schema.Evaluate(payload, new EvaluationOptions { OutputFormat = OutputFormat.List });

            result.IsValid.Should().BeTrue(JsonSerializer.Serialize(result.Details?.Where(d => !d.IsValid).Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors?.Values.AsEnumerable() ?? [])}")));
        }
    }

    [Fact]
    public async Task AnAlteredPayload_FailsTheSignature()
    {
        var grant = await _kit.Kit.GrantAsync("ada");
        var token = (await _kit.Receipts.IssueAsync("ada", grant.Sequence, TestContext.Current.CancellationToken))!.Token;
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Base64UrlEncoder.DecodeBytes(parts[1]))!;
        payload["pii_principal_id"] = "mallory";
        var forged = $"{parts[0]}.{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(payload.ToJsonString()))}.{parts[2]}";

        var check = await _kit.Receipts.VerifyAsync(forged, TestContext.Current.CancellationToken);

        check.Problem.Should().Be(ConsentReceiptProblem.BadSignature);
        check.Receipt.Should().BeNull("nothing of an unverified payload is handed out");
    }

    [Fact]
    public async Task AnAlteredSignature_Fails()
    {
        var grant = await _kit.Kit.GrantAsync("ada");
        var token = (await _kit.Receipts.IssueAsync("ada", grant.Sequence, TestContext.Current.CancellationToken))!.Token;
        var signature = Base64UrlEncoder.DecodeBytes(token.Split('.')[2]);
        signature[10] ^= 0x01;

        var check = await _kit.Receipts.VerifyAsync(string.Join('.', token.Split('.')[..2]) + "." + Base64UrlEncoder.Encode(signature), TestContext.Current.CancellationToken);

        check.Problem.Should().Be(ConsentReceiptProblem.BadSignature);
    }

    [Fact]
    public async Task AReceiptSignedWithAnotherKey_Fails()
    {
        using var other = new ReceiptTestKit(ReceiptTestKit.NewKey("key-1"));
        var grant = await other.Kit.GrantAsync("ada");
        await _kit.Kit.GrantAsync("ada");
        var token = (await other.Receipts.IssueAsync("ada", grant.Sequence, TestContext.Current.CancellationToken))!.Token;

        var check = await _kit.Receipts.VerifyAsync(token, TestContext.Current.CancellationToken);

        check.Problem.Should().Be(ConsentReceiptProblem.BadSignature, "same key id, different key");
    }

    [Fact]
    public async Task AfterARotation_AReceiptSignedWithThePreviousKey_StillVerifies()
    {
        var old = _kit.Key;
        var grant = await _kit.Kit.GrantAsync("ada");
        var token = (await _kit.Receipts.IssueAsync("ada", grant.Sequence, TestContext.Current.CancellationToken))!.Token;
        using var rotated = new ReceiptTestKit(ReceiptTestKit.NewKey("key-2"), [old], _kit.Inner);

        var check = await rotated.Receipts.VerifyAsync(token, TestContext.Current.CancellationToken);

        check.IsValid.Should().BeTrue(check.ToString());
        check.KeyId.Should().Be("key-1");
    }

    [Fact]
    public async Task ARecordChangedInTheStore_FailsVerification()
    {
        var grant = await _kit.Kit.GrantAsync("ada");
        var token = (await _kit.Receipts.IssueAsync("ada", grant.Sequence, TestContext.Current.CancellationToken))!.Token;
        _kit.Store.Change = e => e.Sequence == grant.Sequence ? e with { RecordedAtUtcTicks = e.RecordedAtUtcTicks - TimeSpan.TicksPerDay } : e;

        var check = await _kit.Receipts.VerifyAsync(token, TestContext.Current.CancellationToken);

        check.Problem.Should().Be(ConsentReceiptProblem.RecordChanged);
        check.Message.Should().Contain($"#{grant.Sequence}");
    }

    [Fact]
    public async Task ARecordReplacedWithOneThatHashesCorrectly_IsNotTheReceiptsRecord()
    {
        var grant = await _kit.Kit.GrantAsync("ada");
        var token = (await _kit.Receipts.IssueAsync("ada", grant.Sequence, TestContext.Current.CancellationToken))!.Token;
        _kit.Store.Change = e => e.Sequence == grant.Sequence
            ? ConsentChain.Link(e with { Status = ConsentStatus.Refused, Method = ConsentMethod.Operator }, ConsentChain.GenesisHash.Span)
            : e;

        var check = await _kit.Receipts.VerifyAsync(token, TestContext.Current.CancellationToken);

        check.Problem.Should().Be(ConsentReceiptProblem.RecordChanged);
    }

    [Fact]
    public async Task ARecordGoneFromTheStore_FailsVerification()
    {
        var grant = await _kit.Kit.GrantAsync("ada");
        var token = (await _kit.Receipts.IssueAsync("ada", grant.Sequence, TestContext.Current.CancellationToken))!.Token;
        _kit.Store.Change = e => e.Sequence == grant.Sequence ? null : e;

        var check = await _kit.Receipts.VerifyAsync(token, TestContext.Current.CancellationToken);

        check.Problem.Should().Be(ConsentReceiptProblem.RecordMissing);
    }

    [Fact]
    public async Task NotAJws_IsMalformed()
    {
        var check = await _kit.Receipts.VerifyAsync("not a receipt", TestContext.Current.CancellationToken);

        check.Problem.Should().Be(ConsentReceiptProblem.Malformed);
    }

    [Fact]
    public async Task NoReceipt_IsIssuedForSomeoneElsesRecord()
    {
        var grant = await _kit.Kit.GrantAsync("ada");

        (await _kit.Receipts.IssueAsync("mallory", grant.Sequence, TestContext.Current.CancellationToken)).Should().BeNull();
    }

    [Fact]
    public async Task BadArguments_NameTheField()
    {
        var badSubject = async () => await _kit.Receipts.IssueAsync("", 1);
        var badSequence = async () => await _kit.Receipts.IssueAsync("ada", 0);

        (await badSubject.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("subjectId");
        (await badSequence.Should().ThrowAsync<ArgumentOutOfRangeException>()).Which.ParamName.Should().Be("sequence");
    }

    [Fact]
    public void MissingControllerDetailsAndKey_AreAllNamedAtStart()
    {
        using var kit = new ConsentKitFixture(b => b.AddReceipts(_ => { }));

        var act = () => kit.Provider.GetRequiredService<IOptions<ConsentReceiptOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().HaveCount(4)
            .And.Contain(f => f.Contains("ControllerName")).And.Contain(f => f.Contains("SigningKey"));
    }

    [Fact]
    public async Task AKeyProviderOfTheAppsOwn_SignsInsteadOfTheOptionsKey()
    {
        var vaultKey = ReceiptTestKit.NewKey("vault-7");
        using var kit = new ConsentKitFixture(b =>
        {
            b.Services.AddSingleton<IConsentReceiptKeyProvider>(new VaultKeys(vaultKey));
            b.AddReceipts(o =>
            {
                o.ControllerName = "Example Network Ltd";
                o.ControllerContact = "privacy@example.com";
                o.WithdrawalMethod = "https://example.com/settings/privacy";
            });
        });
        var grant = await kit.GrantAsync("ada");
        var receipts = kit.Provider.GetRequiredService<IConsentReceipts>();

        var check = await receipts.VerifyAsync((await receipts.IssueAsync("ada", grant.Sequence, TestContext.Current.CancellationToken))!.Token, TestContext.Current.CancellationToken);

        check.IsValid.Should().BeTrue(check.ToString());
        check.KeyId.Should().Be("vault-7");
    }

    public void Dispose() => _kit.Dispose();

    private sealed class VaultKeys(ECDsaSecurityKey key) : IConsentReceiptKeyProvider
    {
        public ECDsaSecurityKey GetSigningKey() => key;

        public IEnumerable<SecurityKey> GetValidationKeys() => [key];
    }
}

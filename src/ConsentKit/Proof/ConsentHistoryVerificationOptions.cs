using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace ConsentKit;

/// <summary>How the hosted history verifier (<c>AddHistoryVerification</c>) works.</summary>
public sealed class ConsentHistoryVerificationOptions
{
    /// <summary>
    /// How often the whole history is verified, against the anchor's latest head, and a new head anchored.
    /// Default 1 hour: a full verification reads every record once (docs/performance.md has its cost), and
    /// anything a verification finds closes the gate until one passes again.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The key that signs each head this process anchors (ECDSA P-256); <see langword="null"/> anchors heads unsigned.</summary>
    public ECDsa? SigningKey { get; set; }

    /// <summary>
    /// The public key the anchor's heads must be signed with; a head whose signature does not check out fails
    /// the verification. <see langword="null"/> uses <see cref="SigningKey"/>, or checks no signature when that is unset too.
    /// </summary>
    public ECDsa? VerificationKey { get; set; }
}

/// <summary>Checks <see cref="ConsentHistoryVerificationOptions"/> at start.</summary>
internal sealed class ConsentHistoryVerificationOptionsValidator : IValidateOptions<ConsentHistoryVerificationOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsentHistoryVerificationOptions options) =>
        options.Interval <= TimeSpan.Zero || options.Interval > ConsentChangeFeedOptionsValidator.LongestTimer
            ? ValidateOptionsResult.Fail($"{nameof(ConsentHistoryVerificationOptions.Interval)} must be positive and at most {ConsentChangeFeedOptionsValidator.LongestTimer.TotalDays:0.#} days.")
            : ValidateOptionsResult.Success;
}

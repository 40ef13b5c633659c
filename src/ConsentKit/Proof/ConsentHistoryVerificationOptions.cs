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

    /// <summary>
    /// Every how many rounds the whole history is verified; the rounds between verify only what was appended
    /// since the anchor's latest head (<see cref="ConsentHistoryVerifier.VerifySinceAsync"/>). Default 24 (a
    /// whole verification a day at the default interval). The first round, and every round after one that
    /// failed, verifies everything. 1 verifies everything every round.
    /// </summary>
    public int FullVerificationEvery { get; set; } = 24;

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
    public ValidateOptionsResult Validate(string? name, ConsentHistoryVerificationOptions options)
    {
        var problems = new List<string>();
        if (options.Interval <= TimeSpan.Zero || options.Interval > ConsentChangeFeedOptionsValidator.LongestTimer)
        {
            problems.Add($"{nameof(ConsentHistoryVerificationOptions.Interval)} must be positive and at most {ConsentChangeFeedOptionsValidator.LongestTimer.TotalDays:0.#} days.");
        }

        if (options.FullVerificationEvery < 1)
        {
            problems.Add($"{nameof(ConsentHistoryVerificationOptions.FullVerificationEvery)} must be at least 1 (1 verifies everything every round).");
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

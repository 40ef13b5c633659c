using System.Text.Json;
using FluentAssertions;

namespace ConsentKit.Tests;

public sealed class VocabularyTests
{
    [Fact]
    public void EveryStatusMethodAndReason_HasOneKebabCaseName_InTextAndInJson()
    {
        ConsentVocabulary.NameOf(ConsentMethod.SubjectApiCall).Should().Be("subject-api-call");
        ConsentVocabulary.NameOf(ConsentMethod.PrivacySignal).Should().Be("privacy-signal");
        ConsentVocabulary.NameOf(ConsentDecisionReason.NoticeOutdated).Should().Be("notice-outdated");
        ConsentVocabulary.NameOf(ConsentStatus.Withdrawn).Should().Be("withdrawn");

        foreach (var reason in Enum.GetValues<ConsentDecisionReason>())
        {
            JsonSerializer.Serialize(reason, ConsentVocabulary.JsonOptions).Should().Be($"\"{ConsentVocabulary.NameOf(reason)}\"");
        }

        foreach (var method in Enum.GetValues<ConsentMethod>())
        {
            JsonSerializer.Deserialize<ConsentMethod>($"\"{ConsentVocabulary.NameOf(method)}\"", ConsentVocabulary.JsonOptions).Should().Be(method);
        }
    }
}

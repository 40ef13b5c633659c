namespace ConsentKit.AspNetCore;

/// <summary>Endpoint metadata: using this endpoint needs the subject's consent to a purpose.</summary>
public interface IRequireConsentMetadata
{
    /// <summary>The purpose.</summary>
    string PurposeId { get; }

    /// <summary>Whose consent: the caller, or the person a route value names.</summary>
    ConsentSubject Subject { get; }
}

/// <summary>Endpoint metadata: this endpoint needs no consent, even inside a guarded group.</summary>
public interface IAllowWithoutConsentMetadata;

/// <summary>Endpoint metadata: responses carry the IETF aipref <c>Content-Usage</c> header from a subject's consent.</summary>
public interface IContentUsageMetadata
{
    /// <summary>The purpose that decides <c>train-ai</c>; by default <see cref="ConsentPurposes.GenerativeAiTraining"/>.</summary>
    string PurposeId { get; }

    /// <summary>Whose content the response carries.</summary>
    ConsentSubject Subject { get; }
}

/// <summary>Says whose consent an endpoint needs.</summary>
public sealed record ConsentSubject
{
    private ConsentSubject(string? routeParameterName) => RouteParameterName = routeParameterName;

    /// <summary>The authenticated caller (claim <c>sub</c>, then NameIdentifier; configurable).</summary>
    public static ConsentSubject Caller { get; } = new((string?)null);

    /// <summary>The name of the route parameter whose value names the subject (<c>userId</c> in <c>/users/{userId}</c>), or <see langword="null"/> for the caller.</summary>
    public string? RouteParameterName { get; }

    /// <summary>Whether the subject is the caller.</summary>
    public bool IsCaller => RouteParameterName is null;

    /// <summary>The person named by a route parameter, e.g. <c>userId</c> in <c>/users/{userId}/posts</c>: for endpoints that serve someone else's data.</summary>
    /// <param name="routeParameterName">The route parameter's name.</param>
    public static ConsentSubject FromRoute(string routeParameterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(routeParameterName);
        return new ConsentSubject(routeParameterName);
    }
}

/// <summary>
/// Using this controller, action or page needs the subject's consent to a purpose. Metadata only: the
/// consent enforcement middleware asks the gate.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = true, Inherited = true)]
public sealed class RequireConsentAttribute : Attribute, IRequireConsentMetadata
{
    /// <summary>Requires the caller's consent to <paramref name="purposeId"/>.</summary>
    /// <param name="purposeId">The purpose.</param>
    public RequireConsentAttribute(string purposeId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(purposeId);
        PurposeId = purposeId;
    }

    /// <inheritdoc />
    public string PurposeId { get; }

    /// <summary>The name of the route parameter naming the subject, for endpoints that serve another person's data; empty for the caller.</summary>
    public string? SubjectFromRoute { get; set; }

    /// <inheritdoc />
    public ConsentSubject Subject => string.IsNullOrEmpty(SubjectFromRoute) ? ConsentSubject.Caller : ConsentSubject.FromRoute(SubjectFromRoute);
}

/// <summary>This controller, action or page needs no consent, even where a group or class requires it.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class AllowWithoutConsentAttribute : Attribute, IAllowWithoutConsentMetadata;

internal sealed record RequireConsentMetadata(string PurposeId, ConsentSubject Subject) : IRequireConsentMetadata;

internal sealed record ContentUsageMetadata(string PurposeId, ConsentSubject Subject) : IContentUsageMetadata;

internal sealed class AllowWithoutConsentMetadata : IAllowWithoutConsentMetadata
{
    public static readonly AllowWithoutConsentMetadata Instance = new();
}

/// <summary>
/// Responses of this controller, action or page carry the IETF aipref <c>Content-Usage</c> header from the
/// consent of the person a route value names: <c>train-ai=y</c> only when they opted in.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class ContentUsageHeaderAttribute : Attribute, IContentUsageMetadata
{
    /// <summary>Uses the consent of the person named by the route parameter <paramref name="subjectRouteParameter"/>.</summary>
    /// <param name="subjectRouteParameter">The name of the route parameter naming the person whose content the response carries.</param>
    public ContentUsageHeaderAttribute(string subjectRouteParameter)
    {
        Subject = ConsentSubject.FromRoute(subjectRouteParameter);
    }

    /// <inheritdoc />
    public string PurposeId { get; set; } = ConsentPurposes.GenerativeAiTraining;

    /// <inheritdoc />
    public ConsentSubject Subject { get; }
}

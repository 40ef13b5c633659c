using Microsoft.AspNetCore.Mvc;

namespace ConsentKit.AspNetCore.Tests.Controllers;

[ApiController]
[Route("mvc/reports")]
[RequireConsent(ConsentPurposes.Analytics)]
public sealed class ReportsController : ControllerBase
{
    [HttpGet]
    public string Get() => "report";

    [HttpGet("public")]
    [AllowWithoutConsent]
    public string Public() => "public report";

    [HttpGet("personalized")]
    [RequireConsent(ConsentPurposes.Personalization)]
    public string Personalized() => "personalized report";
}

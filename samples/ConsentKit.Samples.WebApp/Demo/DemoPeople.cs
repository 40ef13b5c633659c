namespace ConsentKit.Samples.WebApp.Demo;

/// <summary>A demo member of the network.</summary>
public sealed record Person(string Id, string Name, string Headline, bool IsOperator = false);

/// <summary>The people you can sign in as. No passwords in a demo; the authentication middleware is real.</summary>
public static class DemoPeople
{
    public static IReadOnlyList<Person> All { get; } =
    [
        new("ada", "Ada Lovelace", "Analyst, engines of all kinds"),
        new("grace", "Grace Hopper", "Compiler engineer"),
        new("alan", "Alan Turing", "Researcher, computability"),
        new("katherine", "Katherine Johnson", "Orbital mechanics"),
        new("linus", "Linus Torvalds", "Kernel maintainer"),
        new("margaret", "Margaret Hamilton", "Software engineering lead"),
        new("operator", "Demo Operator", "Runs the data team", IsOperator: true),
    ];

    public static IEnumerable<Person> Members => All.Where(p => !p.IsOperator);

    public static Person? Find(string? id) => All.FirstOrDefault(p => p.Id == id);

    public static string NameOf(string id) => Find(id)?.Name ?? id;
}

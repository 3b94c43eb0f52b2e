using System.Reflection;

namespace Stack.Tests.Support;

/// <summary>
/// Compares two objects field by field, by reflection, down through the objects they own: what a reset-in-place
/// test needs, so a field added later and forgotten by Reset fails the test rather than leaking state between
/// lives. Returns the path of every field that differs (empty when none).
/// </summary>
internal static class FieldComparer
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic
        | BindingFlags.DeclaredOnly;

    public static List<string> Differences(object? expected, object? actual, params string[] ignored)
    {
        var found = new List<string>();
        Compare(expected, actual, "", new HashSet<string>(ignored), found, new HashSet<(object, object)>(ReferencePairComparer.Instance));
        return found;
    }

    private static void Compare(object? expected, object? actual, string path, HashSet<string> ignored, List<string> found,
        HashSet<(object, object)> seen)
    {
        if (ignored.Contains(path)) return;
        if (ReferenceEquals(expected, actual)) return; // The same object (a shared config, the layer) is equal to itself.
        if (expected is null || actual is null)
        {
            if (!ReferenceEquals(expected, actual)) found.Add($"{path}: {Show(expected)} vs {Show(actual)}");
            return;
        }
        Type type = expected.GetType();
        if (type != actual.GetType())
        {
            found.Add($"{path}: {type.Name} vs {actual.GetType().Name}");
            return;
        }
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || expected is Delegate)
        {
            if (!Equals(expected, actual)) found.Add($"{path}: {Show(expected)} vs {Show(actual)}");
            return;
        }
        if (!type.IsValueType && !seen.Add((expected, actual))) return;
        if (expected is Array a)
        {
            var b = (Array)actual;
            if (a.Length != b.Length)
            {
                found.Add($"{path}: length {a.Length} vs {b.Length}");
                return;
            }
            for (int i = 0; i < a.Length; i++) Compare(a.GetValue(i), b.GetValue(i), $"{path}[{i}]", ignored, found, seen);
            return;
        }
        for (Type? t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
        {
            foreach (FieldInfo f in t.GetFields(Instance))
            {
                string name = path.Length == 0 ? f.Name : $"{path}.{f.Name}";
                Compare(f.GetValue(expected), f.GetValue(actual), name, ignored, found, seen);
            }
        }
    }

    private static string Show(object? o) => o?.ToString() ?? "null";

    private sealed class ReferencePairComparer : IEqualityComparer<(object, object)>
    {
        public static readonly ReferencePairComparer Instance = new();

        public bool Equals((object, object) x, (object, object) y) =>
            ReferenceEquals(x.Item1, y.Item1) && ReferenceEquals(x.Item2, y.Item2);

        public int GetHashCode((object, object) p) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(p.Item1),
                System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(p.Item2));
    }
}

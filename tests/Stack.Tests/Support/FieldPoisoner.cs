using System.Reflection;

namespace Stack.Tests.Support;

/// <summary>
/// Sets every field of an object, and of the stack's objects it owns, to a value its counterpart in a reference
/// object does not have: a reset-in-place test poisons an object, resets it and compares it with a new one
/// (<see cref="FieldComparer"/>), so a reset that misses a field fails even where no scenario would dirty it.
/// Numbers, flags and enums get another value; a nullable field that is empty gets a value and the other way
/// round; structs are poisoned field by field. References (arrays, delegates, objects shared by the two) are left
/// as they are: only the stack's own objects are walked into.
/// </summary>
internal static class FieldPoisoner
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic
        | BindingFlags.DeclaredOnly;

    /// <summary>Returns how many fields were poisoned.</summary>
    public static int Poison(object target, object reference, params string[] skipped) =>
        PoisonObject(target, reference, "", new HashSet<string>(skipped), new HashSet<object>(ReferenceEqualityComparer.Instance));

    private static int PoisonObject(object target, object reference, string path, HashSet<string> skipped, HashSet<object> seen)
    {
        if (!target.GetType().IsValueType && !seen.Add(target)) return 0;
        int count = 0;
        for (Type? t = target.GetType(); t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType)
        {
            foreach (FieldInfo f in t.GetFields(Instance))
            {
                string name = path.Length == 0 ? f.Name : $"{path}.{f.Name}";
                if (skipped.Contains(name)) continue;
                object? now = f.GetValue(target);
                object? other = f.GetValue(reference);
                if (Other(f.FieldType, now, other, name, skipped, seen, ref count) is { } poisoned) f.SetValue(target, poisoned.Value);
            }
        }
        return count;
    }

    /// <summary>The value to store (wrapped, as it may be null), or null to leave the field as it is.</summary>
    private static Box? Other(Type type, object? now, object? other, string path, HashSet<string> skipped, HashSet<object> seen,
        ref int count)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            count++;
            return other is null ? new Box(Activator.CreateInstance(inner)) : new Box(null);
        }
        if (type == typeof(bool))
        {
            count++;
            return new Box(!(bool)other!);
        }
        if (type.IsEnum)
        {
            count++;
            long value = Convert.ToInt64(other, System.Globalization.CultureInfo.InvariantCulture);
            return new Box(Enum.ToObject(type, value == 0 ? 1 : 0));
        }
        if (type.IsPrimitive)
        {
            count++;
            return new Box(Convert.ChangeType(type == typeof(double) || type == typeof(float)
                ? Convert.ToDouble(other, System.Globalization.CultureInfo.InvariantCulture) + 1.5
                : (object)(Convert.ToInt64(Convert.ChangeType(other, typeof(long), System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture) == 7 ? 9 : 7),
                type, System.Globalization.CultureInfo.InvariantCulture));
        }
        if (type.IsValueType && now is not null && other is not null)
        {
            count += PoisonObject(now, other, path, skipped, seen); // A boxed copy: stored back by the caller.
            return new Box(now);
        }
        if (now is not null && other is not null && !ReferenceEquals(now, other) && now.GetType() == other.GetType()
            && now is not Delegate && now is not Array && now.GetType().Namespace?.StartsWith("Stack.", StringComparison.Ordinal) == true)
        {
            count += PoisonObject(now, other, path, skipped, seen);
        }
        return null;
    }

    private sealed record Box(object? Value);
}

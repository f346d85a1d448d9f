package connect

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/connectfed/connectfed"
)

// HierarchyLevels is how deep an agent hierarchy goes.
const HierarchyLevels = 5

// HierarchyLevel is one named level of an instance's agent hierarchy.
type HierarchyLevel struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	LastModified time.Time `json:"lastModified"`
}

// HierarchyStructure is an instance's levels, one to five; an unset level
// has an empty Name.
type HierarchyStructure struct {
	Levels [HierarchyLevels]HierarchyLevel `json:"levels"`
}

// HierarchyGroup is a group at one level of the hierarchy, under a group of
// the level above.
type HierarchyGroup struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Level        int               `json:"level"` // 1..5
	ParentID     string            `json:"parentId,omitempty"`
	Tags         map[string]string `json:"tags,omitempty"`
	LastModified time.Time         `json:"lastModified"`
}

const structureKey = "structure"

func getStructure(tx connectfed.Tx, sc Scope, instanceID string) (HierarchyStructure, bool, error) {
	var hs HierarchyStructure
	err := connectfed.GetJSON(tx, kindHierStruct, childKey(sc, instanceID, structureKey), &hs)
	if errors.Is(err, connectfed.ErrNotFound) {
		return hs, false, nil
	}
	return hs, err == nil, err
}

// GetHierarchyStructure returns an instance's hierarchy levels.
func (s *Service) GetHierarchyStructure(ctx context.Context, sc Scope, instanceID string) (*HierarchyStructure, error) {
	var hs HierarchyStructure
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		var err error
		hs, _, err = getStructure(tx, sc, inst.ID)
		return err
	})
	return &hs, err
}

// UpdateHierarchyStructure sets the level names. Levels must be set from
// the first down without gaps; a level that would go away must have no
// groups (ResourceInUseException). A renamed level keeps its id.
func (s *Service) UpdateHierarchyStructure(ctx context.Context, sc Scope, instanceID string, names [HierarchyLevels]string) error {
	gap := false
	for _, n := range names {
		if n == "" {
			gap = true
		} else if gap {
			return invalidParam("Hierarchy levels must be set from level one down without gaps.")
		}
	}
	now := s.now()
	return s.update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		hs, exists, err := getStructure(tx, sc, inst.ID)
		if err != nil {
			return err
		}
		groups, err := connectfed.ListJSONValues[HierarchyGroup](tx, kindHierGroup, childKey(sc, inst.ID, ""))
		if err != nil {
			return err
		}
		for i, n := range names {
			lv := &hs.Levels[i]
			if n == "" {
				for _, g := range groups {
					if g.Level == i+1 {
						return inUse("Hierarchy level %d has groups and cannot be removed.", i+1)
					}
				}
				*lv = HierarchyLevel{}
				continue
			}
			if lv.ID == "" {
				lv.ID = connectfed.NewUUID()
			}
			if lv.Name != n {
				lv.Name, lv.LastModified = n, now
			}
		}
		if exists {
			return connectfed.PutJSON(tx, kindHierStruct, childKey(sc, inst.ID, structureKey), hs)
		}
		return connectfed.CreateJSON(tx, kindHierStruct, childKey(sc, inst.ID, structureKey), hs)
	})
}

// CreateHierarchyGroup creates a group at level one, or under parentID at
// the level below the parent's; that level must be defined.
func (s *Service) CreateHierarchyGroup(ctx context.Context, sc Scope, instanceID, name, parentID string, tags map[string]string) (*HierarchyGroup, error) {
	g := HierarchyGroup{ID: connectfed.NewUUID(), Name: name, Level: 1, ParentID: parentID, Tags: tags, LastModified: s.now()}
	_, err := createChild(ctx, s, sc, kindHierGroup, instanceID, g.ID, name, "Hierarchy group", &g, func(tx connectfed.Tx, inst *connectfed.Instance) error {
		if parentID != "" {
			var p HierarchyGroup
			if err := getChild(tx, sc, kindHierGroup, inst.ID, parentID, "Hierarchy group", &p); err != nil {
				return err
			}
			g.Level = p.Level + 1
		}
		hs, _, err := getStructure(tx, sc, inst.ID)
		if err != nil {
			return err
		}
		if g.Level > HierarchyLevels || hs.Levels[g.Level-1].Name == "" {
			return invalidRequest("Hierarchy level %d is not defined for this instance.", g.Level)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// GetHierarchyGroup returns a group and its path from level one down to it.
func (s *Service) GetHierarchyGroup(ctx context.Context, sc Scope, instanceID, id string) (*HierarchyGroup, []HierarchyGroup, *HierarchyStructure, error) {
	var g HierarchyGroup
	var path []HierarchyGroup
	var hs HierarchyStructure
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		if err := getChild(tx, sc, kindHierGroup, inst.ID, id, "Hierarchy group", &g); err != nil {
			return err
		}
		var err error
		if hs, _, err = getStructure(tx, sc, inst.ID); err != nil {
			return err
		}
		path = []HierarchyGroup{g}
		for cur := g; cur.ParentID != "" && len(path) < HierarchyLevels; {
			var p HierarchyGroup
			if err := getChild(tx, sc, kindHierGroup, inst.ID, cur.ParentID, "Hierarchy group", &p); err != nil {
				return err
			}
			path = append([]HierarchyGroup{p}, path...)
			cur = p
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return &g, path, &hs, nil
}

// ListHierarchyGroups lists an instance's groups.
func (s *Service) ListHierarchyGroups(ctx context.Context, sc Scope, instanceID, after string, limit int) ([]HierarchyGroup, string, error) {
	return listChildren[HierarchyGroup](ctx, s, sc, kindHierGroup, instanceID, after, limit)
}

// RenameHierarchyGroup renames a group; the name must be free.
func (s *Service) RenameHierarchyGroup(ctx context.Context, sc Scope, instanceID, id, name string) error {
	return updateOne(ctx, s, sc, kindHierGroup, instanceID, id, "Hierarchy group", func(tx connectfed.Tx, inst *connectfed.Instance, g *HierarchyGroup) error {
		if taken, err := nameTaken(tx, sc, kindHierGroup, inst.ID, name, g.ID); err != nil {
			return err
		} else if taken {
			return duplicate("Hierarchy group with name %s already exists.", name)
		}
		g.Name, g.LastModified = name, s.now()
		return nil
	})
}

// DeleteHierarchyGroup deletes a group with no child groups and no users.
func (s *Service) DeleteHierarchyGroup(ctx context.Context, sc Scope, instanceID, id string) error {
	return s.update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		var g HierarchyGroup
		if err := getChild(tx, sc, kindHierGroup, inst.ID, id, "Hierarchy group", &g); err != nil {
			return err
		}
		groups, err := connectfed.ListJSONValues[HierarchyGroup](tx, kindHierGroup, childKey(sc, inst.ID, ""))
		if err != nil {
			return err
		}
		for _, c := range groups {
			if c.ParentID == id {
				return inUse("Hierarchy group %s has child groups and cannot be deleted.", id)
			}
		}
		users, err := connectfed.ListJSONValues[connectfed.User](tx, kindUser, childKey(sc, inst.ID, ""))
		if err != nil {
			return err
		}
		for _, u := range users {
			if u.HierarchyGroupID == id {
				return inUse("Hierarchy group %s has users and cannot be deleted.", id)
			}
		}
		return tx.Delete(kindHierGroup, childKey(sc, inst.ID, id))
	})
}

// SetUserHierarchy puts a user in a group, or in none for "".
func (s *Service) SetUserHierarchy(ctx context.Context, sc Scope, instanceID, userID, groupID string) error {
	now := s.now()
	return s.update(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		var u connectfed.User
		if err := getUser(tx, sc, instanceID, userID, &inst, &u); err != nil {
			return err
		}
		if groupID != "" {
			var g HierarchyGroup
			if err := getChild(tx, sc, kindHierGroup, inst.ID, groupID, "Hierarchy group", &g); err != nil {
				return err
			}
		}
		u.HierarchyGroupID, u.LastModified = groupID, now
		return connectfed.PutJSON(tx, kindUser, childKey(sc, inst.ID, u.ID), &u)
	})
}

func checkHierarchyGroup(tx connectfed.Tx, sc Scope, instanceID, id string) error {
	if id == "" {
		return nil
	}
	var g HierarchyGroup
	return getChild(tx, sc, kindHierGroup, instanceID, id, "Hierarchy group", &g)
}

// --- SearchUsers ---

// UserQuery decides whether a user matches; groups are the instance's
// hierarchy groups by id (for WITH_CHILD_GROUPS).
type UserQuery func(u *connectfed.User, groups map[string]HierarchyGroup) bool

// InGroup tells whether the user's group is id, or (withChildren) below it.
func InGroup(u *connectfed.User, groups map[string]HierarchyGroup, id string, withChildren bool) bool {
	g := u.HierarchyGroupID
	if g == "" {
		return false
	}
	if !withChildren {
		return g == id
	}
	for i := 0; g != "" && i <= HierarchyLevels; i++ {
		if g == id {
			return true
		}
		g = groups[g].ParentID
	}
	return false
}

// SearchUsers returns the users of an instance that match, ordered by id,
// after the cursor, at most limit, with the cursor of the next page and the
// total number that match.
func (s *Service) SearchUsers(ctx context.Context, sc Scope, instanceID string, match UserQuery, after string, limit int) ([]connectfed.User, string, int, error) {
	var out []connectfed.User
	next, total := "", 0
	err := s.Store.View(ctx, func(tx connectfed.Tx) error {
		var inst connectfed.Instance
		if err := getInstance(tx, sc, instanceID, &inst); err != nil {
			return err
		}
		users, err := connectfed.ListJSONValues[connectfed.User](tx, kindUser, childKey(sc, inst.ID, ""))
		if err != nil {
			return err
		}
		gl, err := connectfed.ListJSONValues[HierarchyGroup](tx, kindHierGroup, childKey(sc, inst.ID, ""))
		if err != nil {
			return err
		}
		groups := make(map[string]HierarchyGroup, len(gl))
		for _, g := range gl {
			groups[g.ID] = g
		}
		sort.Slice(users, func(i, j int) bool { return users[i].ID < users[j].ID })
		for i := range users {
			u := &users[i]
			if !match(u, groups) {
				continue
			}
			total++
			if after != "" && strings.Compare(u.ID, after) <= 0 {
				continue
			}
			if len(out) == limit {
				if next == "" {
					next = out[limit-1].ID
				}
				continue
			}
			out = append(out, *u)
		}
		return nil
	})
	return out, next, total, err
}

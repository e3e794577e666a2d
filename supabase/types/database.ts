export type Json =
  | string
  | number
  | boolean
  | null
  | { [key: string]: Json | undefined }
  | Json[]

export type Database = {
  public: {
    Tables: {
      chat_messages: {
        Row: {
          content: string
          created_at: string
          id: string
          is_favorite: boolean
          lease_ms: number | null
          metadata: NonNullable<Json>
          parent_id: string | null
          role: string
          search: unknown
          seq: number
          session_id: string
          status: number | null
          status_detail: string | null
          status_reason: number | null
          touched_at: string | null
          user_id: string
        }
        Insert: {
          content: string
          created_at?: string
          id?: string
          is_favorite?: boolean
          lease_ms?: number | null
          metadata?: NonNullable<Json>
          parent_id?: string | null
          role: string
          search?: never
          seq?: never
          session_id: string
          status?: number | null
          status_detail?: string | null
          status_reason?: number | null
          touched_at?: string | null
          user_id?: string
        }
        Update: {
          content?: string
          created_at?: string
          id?: string
          is_favorite?: boolean
          lease_ms?: number | null
          metadata?: NonNullable<Json>
          parent_id?: string | null
          role?: string
          search?: never
          seq?: never
          session_id?: string
          status?: number | null
          status_detail?: string | null
          status_reason?: number | null
          touched_at?: string | null
          user_id?: string
        }
        Relationships: [
          {
            foreignKeyName: "chat_messages_session_fk"
            columns: ["session_id", "user_id"]
            isOneToOne: false
            referencedRelation: "chat_sessions"
            referencedColumns: ["id", "user_id"]
          },
        ]
      }
      chat_sessions: {
        Row: {
          active_on: string | null
          active_run: number | null
          created_at: string
          id: string
          last_message_at: string | null
          leaf_id: string | null
          leaf_seq: number | null
          message_count: number
          open_replies: string[] | null
          path_version: number | null
          title: string | null
          updated_at: string
          user_id: string
          workflow_id: string
        }
        Insert: {
          active_on?: never
          active_run?: number | null
          created_at?: string
          id?: string
          last_message_at?: string | null
          leaf_id?: string | null
          leaf_seq?: number | null
          message_count?: number
          open_replies?: string[] | null
          path_version?: number | null
          title?: string | null
          updated_at?: string
          user_id?: string
          workflow_id: string
        }
        Update: {
          active_on?: never
          active_run?: number | null
          created_at?: string
          id?: string
          last_message_at?: string | null
          leaf_id?: string | null
          leaf_seq?: number | null
          message_count?: number
          open_replies?: string[] | null
          path_version?: number | null
          title?: string | null
          updated_at?: string
          user_id?: string
          workflow_id?: string
        }
        Relationships: []
      }
    }
    Views: {
      [_ in never]: never
    }
    Functions: {
      chat_append_messages: {
        Args: {
          p_max_versions?: number
          p_messages: Json
          p_session_id: string
          p_user_id?: string
        }
        Returns: {
          content: string
          created_at: string
          id: string
          is_favorite: boolean
          metadata: Json
          parent_id: string
          role: string
          seq: number
          session_id: string
        }[]
      }
      chat_begin_reply: {
        Args: {
          p_id: string
          p_lease_ms?: number
          p_max_versions?: number
          p_metadata?: Json
          p_parent_id?: string
          p_session_id: string
          p_user_id?: string
        }
        Returns: {
          content: string
          created_at: string
          id: string
          is_favorite: boolean
          lease_expires_at: string
          metadata: Json
          parent_id: string
          role: string
          seq: number
          session_id: string
          status: number
          status_detail: string
          status_reason: number
        }[]
      }
      chat_clear_session: {
        Args: { p_session_id: string; p_user_id?: string }
        Returns: number
      }
      chat_delete_idle_sessions: {
        Args: { p_idle_before: string; p_max_sessions?: number }
        Returns: number
      }
      chat_delete_session: {
        Args: { p_session_id: string; p_user_id?: string }
        Returns: boolean
      }
      chat_finish_reply: {
        Args: {
          p_detail?: string
          p_length: number
          p_max_bytes: number
          p_message_id: string
          p_metadata?: Json
          p_offset: number
          p_reason?: number
          p_status: number
          p_text: string
          p_user_id?: string
          p_utf8_bytes: number
          p_with_path?: boolean
        }
        Returns: {
          content: string
          created_at: string
          id: string
          is_favorite: boolean
          lease_expires_at: string
          metadata: Json
          parent_id: string
          role: string
          seq: number
          session_id: string
          status: number
          status_detail: string
          status_reason: number
        }[]
      }
      chat_get_or_create_session: {
        Args: { p_title?: string; p_user_id?: string; p_workflow_id: string }
        Returns: {
          active_on: string | null
          active_run: number | null
          created_at: string
          id: string
          last_message_at: string | null
          leaf_id: string | null
          leaf_seq: number | null
          message_count: number
          open_replies: string[] | null
          path_version: number | null
          title: string | null
          updated_at: string
          user_id: string
          workflow_id: string
        }[]
        SetofOptions: {
          from: "*"
          to: "chat_sessions"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      chat_get_session: {
        Args: { p_session_id: string; p_user_id?: string }
        Returns: {
          active_on: string | null
          active_run: number | null
          created_at: string
          id: string
          last_message_at: string | null
          leaf_id: string | null
          leaf_seq: number | null
          message_count: number
          open_replies: string[] | null
          path_version: number | null
          title: string | null
          updated_at: string
          user_id: string
          workflow_id: string
        }[]
        SetofOptions: {
          from: "*"
          to: "chat_sessions"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      chat_get_siblings: {
        Args: { p_message_id: string; p_user_id?: string }
        Returns: {
          created_at: string
          id: string
          is_active: boolean
          parent_id: string
          role: string
          seq: number
          session_id: string
          status: number
        }[]
      }
      chat_grow_reply: {
        Args: {
          p_length: number
          p_max_bytes: number
          p_message_id: string
          p_offset: number
          p_text: string
          p_user_id?: string
          p_utf8_bytes: number
        }
        Returns: {
          lease_expires_at: string
          length: number
          status: number
          status_reason: number
          stop_requested: boolean
        }[]
      }
      chat_list_favorites: {
        Args: {
          p_before_seq?: number
          p_limit: number
          p_session_id?: string
          p_user_id?: string
          p_with_path?: boolean
        }
        Returns: {
          content: string
          created_at: string
          id: string
          is_favorite: boolean
          lease_expires_at: string
          metadata: Json
          parent_id: string
          role: string
          seq: number
          session_id: string
          status: number
          status_detail: string
          status_reason: number
        }[]
      }
      chat_list_sessions: {
        Args: {
          p_after_id?: string
          p_after_updated_at?: string
          p_limit: number
          p_user_id?: string
        }
        Returns: {
          active_on: string | null
          active_run: number | null
          created_at: string
          id: string
          last_message_at: string | null
          leaf_id: string | null
          leaf_seq: number | null
          message_count: number
          open_replies: string[] | null
          path_version: number | null
          title: string | null
          updated_at: string
          user_id: string
          workflow_id: string
        }[]
        SetofOptions: {
          from: "*"
          to: "chat_sessions"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      chat_read_messages: {
        Args: {
          p_all_branches?: boolean
          p_boundary?: number
          p_leaf_id?: string
          p_limit: number
          p_older?: boolean
          p_session_id: string
          p_siblings?: boolean
          p_user_id?: string
        }
        Returns: {
          beyond: boolean
          content: string
          created_at: string
          id: string
          is_favorite: boolean
          lease_expires_at: string
          metadata: Json
          parent_id: string
          role: string
          seq: number
          session_id: string
          sibling_count: number
          sibling_index: number
          status: number
          status_detail: string
          status_reason: number
        }[]
      }
      chat_read_reply: {
        Args: { p_message_id: string; p_offset?: number; p_user_id?: string }
        Returns: {
          lease_expires_at: string
          length: number
          start_offset: number
          status: number
          status_reason: number
          text: string
        }[]
      }
      chat_rename_session: {
        Args: { p_session_id: string; p_title: string; p_user_id?: string }
        Returns: {
          active_on: string | null
          active_run: number | null
          created_at: string
          id: string
          last_message_at: string | null
          leaf_id: string | null
          leaf_seq: number | null
          message_count: number
          open_replies: string[] | null
          path_version: number | null
          title: string | null
          updated_at: string
          user_id: string
          workflow_id: string
        }[]
        SetofOptions: {
          from: "*"
          to: "chat_sessions"
          isOneToOne: false
          isSetofReturn: true
        }
      }
      chat_search: {
        Args: {
          p_limit: number
          p_offset?: number
          p_query: string
          p_session_id?: string
          p_user_id?: string
          p_with_path?: boolean
        }
        Returns: {
          content: string
          created_at: string
          headline: string
          id: string
          is_favorite: boolean
          lease_expires_at: string
          metadata: Json
          on_active_path: boolean
          parent_id: string
          rank: number
          role: string
          seq: number
          session_id: string
          status: number
          status_detail: string
          status_reason: number
          workflow_id: string
        }[]
      }
      chat_set_favorite: {
        Args: {
          p_is_favorite: boolean
          p_message_id: string
          p_user_id?: string
          p_with_path?: boolean
        }
        Returns: {
          content: string
          created_at: string
          id: string
          is_favorite: boolean
          lease_expires_at: string
          metadata: Json
          parent_id: string
          role: string
          seq: number
          session_id: string
          status: number
          status_detail: string
          status_reason: number
        }[]
      }
      chat_stop_reply: {
        Args: {
          p_message_id: string
          p_user_id?: string
          p_with_path?: boolean
        }
        Returns: {
          content: string
          created_at: string
          id: string
          is_favorite: boolean
          lease_expires_at: string
          metadata: Json
          parent_id: string
          role: string
          seq: number
          session_id: string
          status: number
          status_detail: string
          status_reason: number
        }[]
      }
      chat_switch_branch: {
        Args: { p_message_id: string; p_session_id: string; p_user_id?: string }
        Returns: {
          changed: boolean
          fork_seq: number
          leaf_id: string
          leaf_seq: number
        }[]
      }
    }
    Enums: {
      [_ in never]: never
    }
    CompositeTypes: {
      [_ in never]: never
    }
  }
}

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] &
        DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] &
        DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
        Row: infer R
      }
      ? R
      : never
    : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Insert: infer I
      }
      ? I
      : never
    : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends (DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never) = never,
> = DefaultSchemaTableNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
        Update: infer U
      }
      ? U
      : never
    : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends (DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never) = never,
> = DefaultSchemaEnumNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
    : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends (PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never) = never,
> = PublicCompositeTypeNameOrOptions extends {
  schema: keyof DatabaseWithoutInternals
}
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
    : never

export const Constants = {
  public: {
    Enums: {},
  },
} as const

